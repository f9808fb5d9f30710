import type { ByteString } from '../bytes.js';
import { MalformedReply } from '../delivery/decision.js';
import { configError, tempError } from '../errors.js';
import type { ExpansionContext } from '../expand/context.js';
import { expand } from '../expand/index.js';
import type { Profile } from '../profile.js';
import { dataLineBreak } from '../reply/header-safety.js';
import { FIELD_HEADERS, type ReplyFields } from '../reply/reply.js';
import { parseEximTime } from '../time/exim-time.js';
import { parseReplyInterval } from '../time/reply-interval.js';
import { checkExpand, printable } from './check.js';
import type { TransportOptions } from './transport-options.js';

/** What the expanded options came to. */
export interface ExpandedOptions {
  fields: ReplyFields;
  text?: ByteString;
  file?: ByteString;
  log?: ByteString;
  once?: ByteString;
  repeatSeconds: number;
}

export interface ExpandHow {
  profile: Profile;
  /** `once_repeat` may be a bare number of seconds (Misfin's, with --mailbox). */
  bareSeconds: boolean;
}

/**
 * Expand every option in Exim's order, with its checks (autoreply.c
 * checkexpand): header options may hold no non-printing character, paths may not
 * come from message data. With the safe profile, message data may not end a
 * line of `headers` either (a refusal, rule malformed).
 */
export function expandOptions(o: TransportOptions, ctx: ExpansionContext, how: ExpandHow): ExpandedOptions {
  const { profile } = how;
  const fields: ReplyFields = {};
  for (const [key] of FIELD_HEADERS) {
    const template = o[key];
    if (template !== undefined) fields[key] = checkExpand(template, 'header', ctx, profile).value;
  }
  if (o.headers !== undefined) {
    const h = checkExpand(o.headers, 'text', ctx, profile);
    const broken = profile.safeReply ? dataLineBreak(h) : undefined;
    if (broken !== undefined) throw new MalformedReply(`headers: ${broken}`);
    fields.headers = h.value;
  }
  const x: ExpandedOptions = { fields, repeatSeconds: 0 };
  if (o.text !== undefined) x.text = checkExpand(o.text, 'text', ctx, profile).value;
  const file = expandPath(o.file, 'file', ctx, profile, o.to !== undefined);
  if (file !== undefined) x.file = file;
  const log = expandPath(o.log, 'log', ctx, profile, o.to !== undefined);
  if (log !== undefined) x.log = log;
  const once = expandPath(o.once, 'once', ctx, profile, o.to !== undefined);
  if (once) x.once = once;
  if (o.once_repeat !== undefined) {
    const repeat = checkExpand(o.once_repeat, 'path', ctx, profile).value;
    // Exim's syntax only under --exim-strict; PEP's (and, with --mailbox, Misfin's seconds) besides
    const seconds = profile.eximTimes ? parseEximTime(repeat) : parseReplyInterval(repeat, how.bareSeconds);
    if (seconds === undefined) throw configError(`Invalid time value "${printable(repeat)}" for "once_repeat"`);
    x.repeatSeconds = seconds;
  }
  return x;
}

/**
 * A path option (`file`, `log`, `once`). One built from message data is refused
 * (Exim 4.94+ taint): a configuration error with the safe profile; with Exim's
 * verdicts, `file` and `once` (the latter only when `to` is set) defer and a
 * `log` is silently not written, as Exim 4.96 does.
 */
function expandPath(template: ByteString | undefined, name: 'file' | 'log' | 'once', ctx: ExpansionContext, profile: Profile, toSet: boolean): ByteString | undefined {
  if (template === undefined) return undefined;
  const r = checkExpand(template, 'path', ctx, profile);
  if (!r.tainted) return r.value;
  const what = `Tainted '${printable(r.value)}' (${name} path built from message data) not permitted`;
  if (!profile.eximVerdicts) throw configError(what);
  if (name === 'log' || (name === 'once' && !toSet)) return undefined;
  throw tempError(what);
}

/** never_mail is expanded on its own; a failure fails the delivery (Exim). */
export function expandNeverMail(template: ByteString, ctx: ExpansionContext): ByteString {
  try {
    return expand(template, ctx).value;
  } catch (err) {
    throw configError(`Failed to expand "${printable(template)}" for "never_mail": ${(err as Error).message}`);
  }
}

/**
 * The `log` path alone, for recording a refusal that stopped the other options
 * half way (a malformed header); undefined when unset or unusable.
 */
export function expandLogPath(template: ByteString | undefined, ctx: ExpansionContext, profile: Profile): ByteString | undefined {
  if (template === undefined) return undefined;
  try {
    const r = checkExpand(template, 'path', ctx, profile);
    return r.tainted ? undefined : r.value;
  } catch {
    return undefined;
  }
}
