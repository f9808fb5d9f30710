import type { ByteString } from '../bytes.js';
import type { ExpansionContext } from '../expand/context.js';
import type { IncomingMessage } from '../message/message.js';
import type { TransportOptions } from '../options/transport-options.js';
import type { ReplyFields } from './reply.js';

/**
 * Where a reply's headers and body come from: Exim's options (options/), a PEP
 * reply file (reply-file/) or a Misfin mailbox's `.auto-reply` (mailbox/).
 * Everything else — the safety rules, never_mail, the once database, the
 * submission, the log — is the one delivery (delivery/deliver.ts), whichever
 * source it is. Each source answers three questions: what the reply is called
 * in the once database (identity), which header fields it has (over the
 * expanded options), and what its body is.
 */
export interface ReplySource {
  readonly kind: 'options' | 'reply-file' | 'mailbox';
  /** Names the reply in once keys (`IDENTITY ADDRESSES`); undefined: the addresses alone. */
  readonly identity: string | undefined;
  /** The whole incoming body must be kept for the body (`{*}`), not only what return_message keeps. */
  readonly needsWholeBody: boolean;
  /** The body quotes the message's text (`{quote}`): it is decoded before the reply is built (message/message-text.ts). */
  readonly needsMessageText?: boolean;
  /** The once database and log the source keeps when the options name none (a mailbox's). */
  readonly defaultPaths: { once?: ByteString; log?: ByteString };
  /** The header fields over the expanded options, and header lines of the source's own. */
  headers(options: ReplyFields, message: IncomingMessage): SourceHeaders;
  /** The body, before any returned copy of the message. */
  body(input: BodyInput): SourceBody;
}

export interface SourceHeaders {
  fields: ReplyFields;
  /** Lines written after the `headers` option, each `Name: value` (a reply file's other header lines). */
  own: { name: string; value: ByteString }[];
}

/** What a source may build its body from. */
export interface BodyInput {
  message: IncomingMessage;
  /** The expanded `text` option, when set. */
  text: ByteString | undefined;
  /** The expanded `file` path, when set. */
  file: ByteString | undefined;
  options: Pick<TransportOptions, 'file_expand' | 'file_optional' | 'return_message' | 'return_size_limit'>;
  ctx: ExpansionContext;
}

export interface SourceBody {
  bytes: ByteString;
  /** The body is a whole MIME entity written by the source (its own Content-Type): kept as written. */
  mime: boolean;
}

/** A mailbox without `.auto-reply`: auto-reply is off, the message is read and nothing else happens. */
export interface SwitchedOff {
  off: ByteString;
}
