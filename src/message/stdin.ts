import { read } from 'node:fs';
import { AutoreplyError, tempError } from '../errors.js';
import type { IncomingMessage } from './message.js';
import { finishBody, MessageReader } from './reader.js';

/**
 * Standard input read into one reused buffer, so draining any amount of input
 * makes no garbage and memory stays flat (a stream allocates a new buffer per
 * chunk, and node collects them only every ~64 MB). Each chunk is valid until the
 * next is asked for: MessageReader copies what it keeps.
 */
export async function* readStdin(size = 256 * 1024): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  for (;;) {
    let n: number;
    try {
      n = await new Promise<number>((resolve, reject) => {
        read(0, buffer, 0, size, null, (err, bytes) => (err ? reject(err) : resolve(bytes)));
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      // non-blocking (a parent sharing it made it so): a stream waits for data
      yield* process.stdin;
      return;
    }
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

/** Read a whole stream (stdin) through the reader, draining it to the end. */
export async function readMessage(stream: AsyncIterable<Buffer>, keepBody: number): Promise<IncomingMessage> {
  const reader = new MessageReader({ keepBody });
  try {
    for await (const chunk of stream) reader.push(chunk);
  } catch (err) {
    if (err instanceof AutoreplyError) throw err;
    // stdin closed by a signal, a directory or a terminal gone away: try again later
    const e = err as NodeJS.ErrnoException;
    throw tempError(`cannot read the message from standard input: ${e.code ?? e.message ?? String(err)}`);
  }
  return finishBody(reader.finish(), keepBody);
}
