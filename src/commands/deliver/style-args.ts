import { bytes, type ByteString } from '../../bytes.js';
import { configError, usageError } from '../../errors.js';
import { MAILBOX_DEFAULTS } from '../../reply/mailbox/mailbox.js';
import type { TransportOptions } from '../../options/transport-options.js';
import { validHandle } from '../../reply/reply-file/identity.js';
import type { SourceSpec } from '../../delivery/request.js';

/**
 * The options that choose how the reply is written — Exim's options (the
 * default), a PEP reply file (`--reply-file`) or a Misfin mailbox
 * (`--mailbox`) — and the two that go with any of them (`--handle`,
 * `--fire-and-forget`). Kept apart from transport-args.ts, which only calls
 * these three functions.
 */

type Parsed = Record<string, unknown>;

export interface StyleSettings {
  source: SourceSpec;
  handle?: string;
  fireAndForget: boolean;
}

/** Declarations, in the form transport-args.ts declares every option. */
export const STYLE_OPTIONS = [
  ['reply-file', { type: 'string', describe: 'a PEP-style reply file: headers, empty line, body, with {header}, {*}, {include FILE}' }],
  ['mailbox', { type: 'string', describe: 'the Misfin way: reply with DIR/.auto-reply while it exists; once database DIR/.auto-reply.db' }],
  ['handle', { type: 'string', describe: 'name of this reply in the once database (keys become "NAME ADDRESSES")' }],
  ['fire-and-forget', { type: 'boolean', describe: 'never affect delivery: report any failure and exit 0' }],
] as const;

export const STYLE_GROUP = 'Reply files and mailboxes:';

/** Option values each style starts from, below the config file and the flags. */
export function styleDefaults(parsed: Parsed): Record<string, ByteString> {
  if (typeof parsed.mailbox === 'string') return { ...MAILBOX_DEFAULTS };
  // PEP: replies go to the envelope sender, at most once a day per reply file
  if (typeof parsed['reply-file'] === 'string') return { to: bytes('$sender_address'), once_repeat: bytes('1d') };
  return {};
}

/** The style's settings, after checking that the options make sense together. */
export function styleSettings(parsed: Parsed, options: TransportOptions): StyleSettings {
  const replyFile = typeof parsed['reply-file'] === 'string' ? parsed['reply-file'] : undefined;
  const mailbox = typeof parsed.mailbox === 'string' ? parsed.mailbox : undefined;
  const handle = typeof parsed.handle === 'string' ? parsed.handle : undefined;
  if (replyFile !== undefined && mailbox !== undefined) throw usageError('--reply-file and --mailbox are two ways to write the reply: give one');
  if (replyFile === '') throw usageError('--reply-file needs a file name');
  if (mailbox === '') throw usageError('--mailbox needs a folder');
  const style = replyFile !== undefined ? '--reply-file' : mailbox !== undefined ? '--mailbox' : undefined;
  if (style && parsed['exim-strict'] === true) throw usageError(`${style} is not an Exim option: it cannot be used with --exim-strict`);
  if (style && (options.text !== undefined || options.file !== undefined)) {
    throw configError(`${style} gives the body of the reply: the text and file options cannot be used with it`);
  }
  if (handle !== undefined && !validHandle(handle)) throw usageError(`--handle "${handle}": a handle is a word without spaces`);
  const source: SourceSpec =
    replyFile !== undefined ? { kind: 'reply-file', path: replyFile } : mailbox !== undefined ? { kind: 'mailbox', dir: mailbox } : { kind: 'options' };
  return {
    source,
    ...(handle !== undefined ? { handle } : {}),
    fireAndForget: parsed['fire-and-forget'] === true,
  };
}
