import type { ByteString } from '../bytes.js';
import { checkExpand, printable } from '../check-expansion.js';
import { MalformedReply } from '../decision.js';
import { configError, tempError } from '../errors.js';
import { dataLineBreak } from '../reply/header-safety.js';
import { expand } from '../expand/index.js';
import type { ExpansionContext } from '../expand/context.js';
import type { RenderedHeader } from '../reply-file/render.js';
import type { ReplyFields } from '../reply/reply.js';
import type { Settings } from '../settings.js';
import { parseEximTime } from '../time/exim-time.js';
import { parseReplyInterval } from '../time/reply-interval.js';

/** What the expanded options came to. */
export interface Expanded {
  fields: ReplyFields;
  text?: ByteString;
  file?: ByteString;
  log?: ByteString;
  once?: ByteString;
  repeatSeconds: number;
  /** A reply file's header lines other than the option fields, in its order. */
  fileHeaders?: RenderedHeader[];
}

/** Expand every option in Exim's order, with its checks (autoreply.c). */
export function expandOptions(settings: Settings, ctx: ExpansionContext): Expanded {
  const o = settings.options;
  const strict = settings.eximStrict;
  const header = (v: ByteString | undefined) => (v === undefined ? undefined : checkExpand(v, 'header', ctx, strict).value);
  const text = (v: ByteString | undefined) => (v === undefined ? undefined : checkExpand(v, 'text', ctx, strict).value);
  const path = (v: ByteString | undefined, name: string) => {
    if (v === undefined) return undefined;
    const r = checkExpand(v, 'path', ctx, strict);
    if (r.tainted) {
      const what = `Tainted '${printable(r.value)}' (${name} path built from message data) not permitted`;
      if (!settings.eximStrict) throw configError(what);
      // Exim 4.96 expands the path, then refuses to open it: `file` and `once`
      // (the latter only when `to` is set) defer; a `log` is silently not written.
      if (name === 'log' || (name === 'once' && o.to === undefined)) return undefined;
      throw tempError(what);
    }
    return r.value;
  };
  const fields: ReplyFields = {};
  const set = (k: keyof ReplyFields, v: ByteString | undefined) => v !== undefined && (fields[k] = v);
  set('from', header(o.from));
  set('reply_to', header(o.reply_to));
  set('to', header(o.to));
  set('cc', header(o.cc));
  set('bcc', header(o.bcc));
  set('subject', header(o.subject));
  if (o.headers !== undefined) {
    const h = checkExpand(o.headers, 'text', ctx, strict);
    const broken = strict ? undefined : dataLineBreak(h);
    if (broken !== undefined) throw new MalformedReply(`headers: ${broken}`);
    fields.headers = h.value;
  }
  const x: Expanded = { fields, repeatSeconds: 0 };
  const t = text(o.text);
  if (t !== undefined) x.text = t;
  const file = path(o.file, 'file');
  if (file !== undefined) x.file = file;
  const log = path(o.log, 'log');
  if (log !== undefined) x.log = log;
  const once = path(o.once, 'once');
  if (once) x.once = once;
  const repeat = o.once_repeat === undefined ? undefined : checkExpand(o.once_repeat, 'path', ctx, strict).value;
  if (repeat !== undefined) {
    // Exim's syntax only under --exim-strict; PEP's (and, with --mailbox, Misfin's seconds) besides
    const seconds = settings.eximStrict ? parseEximTime(repeat) : parseReplyInterval(repeat, settings.mailbox !== undefined);
    if (seconds === undefined) throw configError(`Invalid time value "${printable(repeat)}" for "once_repeat"`);
    x.repeatSeconds = seconds;
  }
  return x;
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
export function expandLogPath(settings: Settings, ctx: ExpansionContext): ByteString | undefined {
  const template = settings.options.log;
  if (template === undefined) return undefined;
  try {
    const r = checkExpand(template, 'path', ctx, settings.eximStrict);
    return r.tainted ? undefined : r.value;
  } catch {
    return undefined;
  }
}
