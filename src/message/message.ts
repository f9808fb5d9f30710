import type { ByteString } from '../bytes.js';

/** One header line of the incoming message, exactly as received. */
export interface HeaderField {
  /** The name as written (case kept), without the colon. */
  name: ByteString;
  /**
   * Everything after the colon, continuation lines included, up to and including
   * the final newline — Exim's `$rh_` value (leading space kept).
   */
  raw: ByteString;
}

/**
 * The incoming message as the transport sees it: the whole header block, and only
 * as much of the body as anything may need. Line endings are LF (CRLF input is
 * normalised on reading, as Exim does on reception).
 */
export interface IncomingMessage {
  /** Header fields in order of appearance. */
  headers: HeaderField[];
  /** The header block exactly as received (LF line endings), without the empty separator line. */
  headerBlock: ByteString;
  /** The first bytes of the body, at most the reader's keep limit. */
  bodyKept: ByteString;
  /** Size of the whole body in bytes. */
  bodySize: number;
  /** Number of lines in the body. */
  bodyLineCount: number;
  /** The last bytes of the body (up to 500), for `$message_body_end`. */
  bodyTail: ByteString;
  /** Envelope sender from the mbox `From ` line, when the input had one. */
  mboxSender?: ByteString;
  /**
   * Set when the message is too big to answer (its header block is over Exim's
   * header_maxsize): only the headers up to that size were kept.
   */
  oversized?: string;
}

/** Header names are compared case-insensitively. */
export function findHeaders(msg: IncomingMessage, name: string): HeaderField[] {
  const lc = name.toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === lc);
}

/** The raw value of the first header with this name, or undefined. */
export function firstHeader(msg: IncomingMessage, name: string): ByteString | undefined {
  return findHeaders(msg, name)[0]?.raw;
}

/** Headers Exim types as address lists (receive.c: BCFRST), and their Resent- forms. */
const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender']);

/** Whether a header (by name, any case) holds an address list. */
export function isAddressHeader(name: string): boolean {
  const lc = name.toLowerCase();
  return ADDRESS_HEADERS.has(lc.startsWith('resent-') ? lc.slice(7) : lc);
}
