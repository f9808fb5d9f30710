import { BLANK_CHARS, bytes, fromBuffer, joinBytes, toBuffer, trimChars, type ByteString } from '../bytes.js';
import type { HeaderField, IncomingMessage } from './message.js';

/**
 * Reads an incoming message chunk by chunk in constant memory: the header block is
 * kept (up to a cap), the body only up to `keepBody` bytes plus a 500-byte tail;
 * the rest is counted. Handles what pipes hand us: an mbox `From ` line first and,
 * after it, one trailing empty line added by the pipe; CRLF line endings.
 */

/** Exim's header_maxsize default: a larger header block is refused, not kept. */
export const MAX_HEADER_BLOCK = 1024 * 1024;
/** `$message_body` / `$message_body_end` show this many bytes (Exim's message_body_visible). */
export const BODY_VISIBLE = 500;

export interface ReaderOptions {
  /** Body bytes to keep (return_size_limit, or at least BODY_VISIBLE). */
  keepBody: number;
}

type Phase = 'start' | 'headers' | 'body';

export class MessageReader {
  private phase: Phase = 'start';
  private pendingCR = false;
  /** Incomplete line carried between chunks while in the first line or the header block. */
  private partial: Buffer[] = [];
  private partialLength = 0;
  private headerLines: ByteString[] = [];
  private headerBytes = 0;
  private headerOverflow = false;
  private mboxSender: ByteString | undefined;
  private hasMboxLine = false;
  private bodyChunks: Buffer[] = [];
  private bodyKeptLength = 0;
  private bodySize = 0;
  private bodyLines = 0;
  private tail: Buffer = Buffer.alloc(0);
  private lastBodyByte = -1;

  constructor(private readonly opts: ReaderOptions) {}

  /** Feed raw input bytes. */
  push(chunk: Buffer): void {
    const data = this.normaliseLineEndings(chunk);
    if (data.length > 0) this.consume(data);
  }

  /** Signal end of input and get the message. */
  finish(): IncomingMessage {
    if (this.pendingCR) {
      this.pendingCR = false;
      this.consume(Buffer.from('\r'));
    }
    if (this.phase !== 'body' && this.partialLength > 0) {
      // last line without newline: still part of the header block
      const line = fromBuffer(Buffer.concat(this.partial));
      this.partial = [];
      this.partialLength = 0;
      this.takeLine(bytes(line + '\n'), false);
    }
    let tail = this.tail;
    let size = this.bodySize;
    let kept = Buffer.concat(this.bodyChunks);
    // the pipe that added the mbox `From ` line also added one empty line at the end
    if (this.hasMboxLine && size > 0 && this.lastBodyByte === 0x0a) {
      size -= 1;
      this.bodyLines -= 1;
      tail = tail.subarray(0, tail.length - 1);
      if (kept.length > size) kept = kept.subarray(0, size);
    }
    const headerBlock = joinBytes(this.headerLines);
    return {
      headers: splitFields(this.headerLines),
      headerBlock,
      bodyKept: fromBuffer(kept),
      bodySize: size,
      bodyLineCount: this.bodyLines,
      bodyTail: fromBuffer(tail),
      ...(this.mboxSender !== undefined ? { mboxSender: this.mboxSender } : {}),
      ...(this.headerOverflow ? { oversized: `its header block is larger than ${MAX_HEADER_BLOCK} bytes` } : {}),
    };
  }

  /** CRLF to LF, carrying a final CR over to the next chunk. */
  private normaliseLineEndings(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.pendingCR) {
      buf = Buffer.concat([Buffer.from('\r'), chunk]);
      this.pendingCR = false;
    }
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) {
      this.pendingCR = true;
      buf = buf.subarray(0, buf.length - 1);
    }
    if (buf.indexOf('\r\n') === -1) return buf;
    const parts: Buffer[] = [];
    let from = 0;
    for (let i = buf.indexOf('\r\n'); i !== -1; i = buf.indexOf('\r\n', i + 2)) {
      parts.push(buf.subarray(from, i));
      from = i + 1; // keep the \n
    }
    parts.push(buf.subarray(from));
    return Buffer.concat(parts);
  }

  private consume(data: Buffer): void {
    let pos = 0;
    while (pos < data.length && this.phase !== 'body') {
      const nl = data.indexOf(0x0a, pos);
      if (nl === -1) {
        this.holdPartial(data.subarray(pos));
        return;
      }
      const piece = data.subarray(pos, nl + 1);
      pos = nl + 1;
      let line: ByteString;
      if (this.partialLength > 0) {
        line = fromBuffer(Buffer.concat([...this.partial, piece]));
        this.partial = [];
        this.partialLength = 0;
      } else {
        line = fromBuffer(piece);
      }
      const rest = this.takeLine(line, true);
      if (rest !== undefined) this.body(toBuffer(rest));
    }
    if (pos < data.length) this.body(pos === 0 ? data : data.subarray(pos));
  }

  /** Keep an incomplete line; past the header cap only remember that it overflowed. */
  private holdPartial(piece: Buffer): void {
    if (this.headerOverflow) return;
    this.partial.push(Buffer.from(piece));
    this.partialLength += piece.length;
    if (this.headerBytes + this.partialLength > MAX_HEADER_BLOCK) {
      this.headerOverflow = true;
      this.partial = [];
      this.partialLength = 0;
    }
  }

  /**
   * One complete line (with its \n) while reading the first line or headers.
   * Returns text that belongs to the body when this line turned out to start it.
   */
  private takeLine(line: ByteString, complete: boolean): ByteString | undefined {
    if (this.phase === 'start') {
      this.phase = 'headers';
      if (line.startsWith('From ')) {
        this.hasMboxLine = true;
        const m = /^From (\S*)/.exec(line);
        const who = m?.[1] ?? '';
        this.mboxSender = bytes(who === 'MAILER-DAEMON' ? '' : who.replace(/^<(.*)>$/, '$1'));
        return undefined;
      }
    }
    if (line === '\n') {
      this.phase = 'body';
      return undefined;
    }
    const isContinuation = line[0] === ' ' || line[0] === '\t';
    if (!isContinuation && !isHeaderStart(line)) {
      // Not a header: like Exim, the body starts here without an empty line.
      this.phase = 'body';
      return line;
    }
    if (isContinuation && this.headerLines.length === 0) {
      this.phase = 'body';
      return line;
    }
    this.headerBytes += line.length;
    if (this.headerBytes > MAX_HEADER_BLOCK) {
      this.headerOverflow = true;
    } else if (isContinuation) {
      this.headerLines[this.headerLines.length - 1] = bytes(this.headerLines[this.headerLines.length - 1] + line);
    } else {
      this.headerLines.push(line);
    }
    void complete;
    return undefined;
  }

  private body(data: Buffer): void {
    this.bodySize += data.length;
    for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) this.bodyLines++;
    this.lastBodyByte = data[data.length - 1] ?? this.lastBodyByte;
    const room = this.opts.keepBody + 1 - this.bodyKeptLength; // +1: the pipe's last line may go
    if (room > 0) {
      const keep = data.subarray(0, room);
      this.bodyChunks.push(Buffer.from(keep));
      this.bodyKeptLength += keep.length;
    }
    const tailKeep = BODY_VISIBLE + 1;
    this.tail =
      data.length >= tailKeep
        ? Buffer.from(data.subarray(data.length - tailKeep))
        : Buffer.concat([this.tail, data]).subarray(-tailKeep);
  }
}

/** A header line starts with a name of printable characters other than colon, then a colon. */
function isHeaderStart(line: ByteString): boolean {
  return /^[!-9;-~]+[ \t]*:/.test(line);
}

function splitFields(lines: ByteString[]): HeaderField[] {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    return { name: trimChars(bytes(line.slice(0, colon)), BLANK_CHARS, 'end'), raw: bytes(line.slice(colon + 1)) };
  });
}

/** The kept body and tail trimmed to what the caller asked for. */
export function finishBody(msg: IncomingMessage, keep: number): IncomingMessage {
  return {
    ...msg,
    bodyKept: bytes(msg.bodyKept.slice(0, keep)),
    bodyTail: bytes(msg.bodyTail.slice(-BODY_VISIBLE)),
  };
}

/** Parse a whole message held in memory (tests, reply files, `check`). */
export function parseMessage(input: Buffer | ByteString, keepBody = 100 * 1024): IncomingMessage {
  const reader = new MessageReader({ keepBody });
  reader.push(typeof input === 'string' ? toBuffer(input) : input);
  return finishBody(reader.finish(), keepBody);
}
