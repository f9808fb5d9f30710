/**
 * Exim works on bytes, and so do we: every string that holds message data,
 * configuration text or an expansion result is a *byte string* — one JavaScript
 * character per byte (code points 0-255, Node's 'latin1' encoding). That keeps
 * lengths, hashes, the non-printing check and the reply bytes identical to Exim's,
 * whatever the charset of the data. Convert only at the edges.
 */
export type ByteString = string;

/** Raw bytes to a byte string. */
export function fromBuffer(buf: Buffer): ByteString {
  return buf.toString('latin1');
}

/** A byte string back to raw bytes (for writing to a file, a pipe, a hash). */
export function toBuffer(s: ByteString): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Text as Node decoded it (argv, environment, decoded MIME words) to its UTF-8 bytes. */
export function fromText(s: string): ByteString {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A byte string holding UTF-8 to readable text (for messages shown to people). */
export function toText(s: ByteString): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** True when every byte is 7-bit ASCII. */
export function isAscii(s: ByteString): boolean {
  return !/[\x80-\xff]/.test(s);
}
