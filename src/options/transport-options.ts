import type { ByteString } from '../bytes.js';

/**
 * The options of Exim's autoreply transport. String values are unexpanded Exim
 * expansion strings, kept as byte strings.
 */
export interface TransportOptions {
  to?: ByteString;
  cc?: ByteString;
  bcc?: ByteString;
  from?: ByteString;
  reply_to?: ByteString;
  subject?: ByteString;
  headers?: ByteString;
  text?: ByteString;
  file?: ByteString;
  file_expand: boolean;
  file_optional: boolean;
  return_message: boolean;
  /** Bytes (Exim's bounce_return_size_limit). */
  return_size_limit: number;
  log?: ByteString;
  /** File mode for a created log or once file. */
  mode: number;
  never_mail?: ByteString;
  once?: ByteString;
  once_repeat?: ByteString;
  once_file_size: number;
}

export type OptionKind = 'string' | 'bool' | 'size' | 'octal' | 'int';

/** Every transport option, its kind, and a line of help. */
export const TRANSPORT_OPTIONS: Record<keyof TransportOptions, { kind: OptionKind; help: string }> = {
  to: { kind: 'string', help: 'recipients of the reply and its To: header (expanded)' },
  cc: { kind: 'string', help: 'Cc: recipients (expanded)' },
  bcc: { kind: 'string', help: 'Bcc: recipients, removed by sendmail -t (expanded)' },
  from: { kind: 'string', help: 'From: header (expanded); unset leaves it to sendmail' },
  reply_to: { kind: 'string', help: 'Reply-To: header (expanded)' },
  subject: { kind: 'string', help: 'Subject: header (expanded)' },
  headers: { kind: 'string', help: 'extra header lines, \\n separated, written last (expanded)' },
  text: { kind: 'string', help: 'body text, before file (expanded)' },
  file: { kind: 'string', help: 'file whose contents follow text in the body (expanded path)' },
  file_expand: { kind: 'bool', help: 'expand each line of file' },
  file_optional: { kind: 'bool', help: 'a missing or unreadable file is not an error' },
  return_message: { kind: 'bool', help: 'append a copy of the incoming message' },
  return_size_limit: { kind: 'size', help: 'cut the returned body at this size (100K, 1M, bytes)' },
  log: { kind: 'string', help: 'append a record of each reply sent or suppressed (expanded path)' },
  mode: { kind: 'octal', help: 'mode of a created log or once file' },
  never_mail: { kind: 'string', help: 'address list never to reply to (expanded)' },
  once: { kind: 'string', help: 'once database: answer each recipient only once (expanded path)' },
  once_repeat: { kind: 'string', help: 'reply again after this long (5d4h, 2w, 30m, 10s); 0 = never' },
  once_file_size: { kind: 'int', help: 'cap the once database at this many bytes, oldest entries go first' },
};

export const DEFAULT_OPTIONS: TransportOptions = {
  file_expand: false,
  file_optional: false,
  return_message: false,
  return_size_limit: 100 * 1024,
  mode: 0o600,
  once_file_size: 0,
};
