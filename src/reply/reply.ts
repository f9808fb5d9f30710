import type { ByteString } from '../bytes.js';

/** The expanded header options of a reply; unset ones are absent. */
export interface ReplyFields {
  from?: ByteString;
  reply_to?: ByteString;
  to?: ByteString;
  cc?: ByteString;
  bcc?: ByteString;
  subject?: ByteString;
  /** Extra header lines, newline separated, written after Auto-Submitted. */
  headers?: ByteString;
}

/** Everything that goes into one reply, already expanded. */
export interface Reply {
  fields: ReplyFields;
  /** `In-Reply-To:` line with its newline, or ''. */
  inReplyTo: ByteString;
  /** `References:` line with its newline, or ''. */
  references: ByteString;
  /** Header lines added beyond Exim (MIME, X-Loop), each ending in a newline. */
  extraHeaders: ByteString;
  /** Expanded `text`, or undefined when unset. */
  text?: ByteString;
  /** Contents of `file` (each line expanded when file_expand), or undefined. */
  fileBody?: ByteString;
  /** The copy of the incoming message (`return_message`), or undefined. */
  returned?: ByteString;
}
