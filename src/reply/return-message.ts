import { bytes, type ByteString } from '../bytes.js';
import type { IncomingMessage } from '../message/message.js';

/**
 * The copy of the incoming message appended with `return_message`, as Exim 4.96
 * writes it. Exim judges "too large" by the size of its spool data file — the
 * body plus a 19-byte id line — against the limit rounded up to the next 8 KiB
 * block plus one block (DELIVER_IN_BUFFER_SIZE), and then cuts the body at
 * exactly the limit, even mid-line.
 */
const SPOOL_DATA_HEADER = 19;
const DELIVER_IN_BUFFER_SIZE = 8192;
const RUBRIC = '------ This is a copy of the message, including all the headers.\n';

export function returnedMessage(msg: IncomingMessage, sizeLimit: number): ByteString {
  let rubric = `\n${RUBRIC}\n`;
  let body: string = msg.bodyKept;
  if (sizeLimit > 0) {
    const max = (Math.floor(sizeLimit / DELIVER_IN_BUFFER_SIZE) + 1) * DELIVER_IN_BUFFER_SIZE;
    const spoolSize = msg.bodySize + SPOOL_DATA_HEADER;
    if (spoolSize > max) {
      rubric =
        `\n${RUBRIC}` +
        `------ The body of the message is ${spoolSize} characters long; only the first\n` +
        `------ ${Math.floor(max / 1000) * 1000} or so are included here.\n\n`;
    }
    body = body.slice(0, sizeLimit);
  }
  return bytes(rubric + msg.headerBlock + '\n' + body);
}
