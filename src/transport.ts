import { readFileSync } from 'node:fs';
import { fromText, toBuffer, toText, type ByteString } from './bytes.js';
import { checkExpand, printable } from './check-expansion.js';
import { describeDecision, type Decision } from './decision.js';
import type { Envelope } from './envelope.js';
import { AutoreplyError, configError, EXIT, tempError, type ExitCode } from './errors.js';
import { expand } from './expand/index.js';
import type { ExpansionContext } from './expand/context.js';
import { appendRecord } from './log/append.js';
import { notSentRecord, previouslySentRecord, sentRecord } from './log/records.js';
import { headerAddresses } from './message/addresses.js';
import type { IncomingMessage } from './message/message.js';
import { readMessage } from './message/reader.js';
import { onceKey } from './once/key.js';
import type { OnceStore } from './once/store.js';
import { buildReply } from './reply/build.js';
import { encodeReplyFields, mimeHeaders } from './reply/mime-headers.js';
import { removeNeverMail } from './reply/never-mail.js';
import { incomingMessageId, inReplyToLine, referencesLine } from './reply/references.js';
import type { Reply, ReplyFields } from './reply/reply.js';
import { returnedMessage } from './reply/return-message.js';
import { evaluateAll } from './rules/index.js';
import type { Settings } from './settings.js';
import { parseEximTime } from './time/exim-time.js';
import { parseReplyInterval } from './time/reply-interval.js';
import { preloadReplyFile, replyFileBytes, replyFileFields, replySource, type ReplySource } from './reply-source.js';
import type { RenderedHeader } from './reply-file/render.js';
import { replyKey } from './reply-file/identity.js';
import { expansionContext } from './variables.js';

/** Where a run reports: the reply (dry run) and the decision trace. */
export interface Output {
  out(text: string | Buffer): void;
  err(line: string): void;
}

export interface Outcome {
  exitCode: ExitCode;
  decision?: Decision;
}

/** What the expanded options came to. */
interface Expanded {
  fields: ReplyFields;
  text?: ByteString;
  file?: ByteString;
  log?: ByteString;
  once?: ByteString;
  repeatSeconds: number;
  /** A reply file's header lines other than the option fields, in its order. */
  fileHeaders?: RenderedHeader[];
}

/** How far a delivery got, for --fire-and-forget to log a failure where the user looks. */
interface Progress {
  log?: ByteString;
  to?: ByteString;
}

/**
 * One delivery, read top to bottom as Exim's autoreply transport does it:
 * message, options, never_mail, safety rules, file, once, submission, log.
 */
export async function deliver(settings: Settings, stdin: AsyncIterable<Buffer>, output: Output): Promise<Outcome> {
  if (!settings.fireAndForget) return deliverOne(settings, stdin, output, {});
  const progress: Progress = {};
  try {
    return await deliverOne(settings, stdin, output, progress);
  } catch (err) {
    return forgive(err, settings, output, progress);
  }
}

/**
 * --fire-and-forget: an auto-reply must never affect the delivery of the message
 * it answers (Misfin's rule). Whatever failed is reported on stderr and in the
 * `log` file when one is known, and the exit is 0.
 */
function forgive(err: unknown, settings: Settings, output: Output, progress: Progress): Outcome {
  const reason = (err instanceof AutoreplyError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`).replace(/\s*\n\s*/g, ' ').trim();
  output.err(`autoreply: ${reason} (ignored: --fire-and-forget)`);
  if (progress.log && !settings.dryRun) logRecord(progress.log, notSentRecord(new Date(), progress.to ?? '', `failed: ${reason}`), settings, output);
  return { exitCode: EXIT.OK };
}

async function deliverOne(settings: Settings, stdin: AsyncIterable<Buffer>, output: Output, progress: Progress): Promise<Outcome> {
  const { options, eximStrict: strict } = settings;
  const preloaded = preloadReplyFile(settings);
  // {*} in a reply file needs the body kept like return_message does
  const wholeBody = options.return_message || preloaded.template?.usesWholeMessage === true;
  const keepBody = wholeBody && options.return_size_limit === 0 ? Infinity : Math.max(options.return_size_limit, 500);
  // Read all of the input first, even when no reply will be sent: the MTA is writing it.
  const message = await readMessage(stdin, keepBody);
  if (preloaded.error !== undefined) throw preloaded.error;
  const trace = (line: string) => settings.verbose && output.err(`autoreply: ${line}`);
  const source = replySource(settings, preloaded.template);
  // --mailbox: the .auto-reply file is the switch; without it, nothing at all happens
  if (source.kind === 'off') return finish(settings, output, skip({ kind: 'switched-off', path: source.path }, []));
  const envelope = resolveSender(settings, message);
  const now = new Date();
  const ctx = expansionContext(message, envelope, now, strict);

  const x = expandOptions(settings, ctx);
  applySource(settings, source, message, x);
  progress.log = x.log;
  const to = x.fields.to;
  progress.to = to;

  if (options.never_mail !== undefined) {
    const list = expandNeverMail(options.never_mail, ctx);
    const kept = removeNeverMail(x.fields, list);
    if (kept === undefined) return finish(settings, output, skip({ kind: 'never_mail' }, []));
    Object.assign(x.fields, kept);
  }

  const recipients = replyRecipients(x.fields);
  // one entry per (reply, recipients): a reply file or --handle names the reply
  const identity = settings.handle ?? (source.kind === 'reply-file' ? source.template.identity : undefined);
  const onceKeyValue = x.once && to !== undefined ? replyKey(identity, strict ? to : onceKey(headerAddresses(to))) : undefined;
  let store: OnceStore | undefined;
  let reply: ByteString;
  try {
    if (!strict) {
      if (onceKeyValue !== undefined && settings.rules.maxRepliesPerHour > 0) store = await openStoreForRate(x.once!, settings, trace);
      const hits = evaluateAll(
        {
          message,
          sender: envelope.sender,
          recipient: envelope.recipient || undefined,
          aliases: settings.aliases,
          replyRecipients: recipients,
          settings: settings.rules,
          now: now.getTime(),
          ...(store ? { repliesLastHour: await store.countRepliesSince(now.getTime() - 3600_000) } : {}),
        },
        settings.allowed,
      );
      if (hits.length > 0) {
        const decision = skip({ kind: 'rule', hit: hits[0]!, others: hits.slice(1) }, recipients);
        if (x.log && !settings.dryRun) logRecord(x.log, notSentRecord(now, to ?? recipients.join(', '), hits[0]!.rule), settings, output);
        return finish(settings, output, decision);
      }
      if (recipients.length === 0) return finish(settings, output, skip({ kind: 'no-recipients' }, recipients));
    }

    // Everything that can make the reply impossible comes before the once database.
    reply =
      source.kind === 'reply-file'
        ? replyFileBytes(settings, source.template, message, x.fields, x.fileHeaders ?? [])
        : buildReplyBytes(settings, message, x, ctx, source.kind === 'mailbox' ? source.body : undefined);

    if (settings.dryRun) {
      trace(`once: ${onceKeyValue === undefined ? 'not used' : `key ${onceKeyValue} (not checked in a dry run)`}`);
      return finish(settings, output, { action: 'send', recipients, reply });
    }

    if (onceKeyValue !== undefined) {
      store ??= await openStore(x.once!, settings);
      const verdict = await store.checkAndRecord({
        key: onceKeyValue,
        repeatMs: x.repeatSeconds * 1000,
        now: now.getTime(),
        maxBytes: options.once_file_size,
        ...(x.fields.subject !== undefined ? { note: toText(x.fields.subject) } : {}),
      });
      if (!verdict.send) {
        if (x.log) logRecord(x.log, previouslySentRecord(now, to!), settings, output);
        return finish(settings, output, skip({ kind: 'once', key: onceKeyValue, lastReply: verdict.previous.lastReply }, recipients));
      }
    }
  } finally {
    await store?.close();
  }

  const { submit } = await import('./submit/sendmail.js'); // only a run that sends loads it
  const result = await submit(settings.sendmail, reply);
  if (result.kind === 'failed') {
    // The once record stays: rather miss a reply than send two.
    throw tempError(`reply not sent: ${result.reason}`);
  }
  if (result.kind === 'no-recipients') trace('the submission program found no recipients (exit 2): taken as sent');
  if (x.log) logRecord(x.log, sentRecord(now, x.fields), settings, output);
  return finish(settings, output, { action: 'send', recipients, reply });
}

function skip(why: Decision & { action: 'skip' } extends { why: infer W } ? W : never, recipients: ByteString[]): Decision {
  return { action: 'skip', why, recipients };
}

function finish(settings: Settings, output: Output, decision: Decision): Outcome {
  if (settings.dryRun) {
    if (settings.json) {
      output.out(JSON.stringify(decisionJson(decision)) + '\n');
    } else {
      if (decision.action === 'send') output.out(toBuffer(decision.reply));
      output.err(`autoreply: ${describeDecision(decision)}`);
      if (decision.action === 'skip' && decision.why.kind === 'rule') {
        for (const hit of decision.why.others) output.err(`autoreply: also: ${hit.rule}: ${hit.reason}`);
      }
    }
  } else if (settings.verbose) {
    output.err(`autoreply: ${describeDecision(decision)}`);
  }
  return { exitCode: EXIT.OK, decision };
}

function decisionJson(d: Decision): Record<string, unknown> {
  const base = { decision: d.action === 'send' ? 'reply' : 'no reply', recipients: d.recipients.map(toText) };
  if (d.action === 'send') return { ...base, rule: null, reason: describeDecision(d), reply: toText(d.reply) };
  const rule = d.why.kind === 'rule' ? d.why.hit.rule : d.why.kind;
  const others = d.why.kind === 'rule' ? d.why.others.map((h) => ({ rule: h.rule, reason: h.reason })) : [];
  return { ...base, rule, reason: describeDecision(d), also: others, reply: null };
}

/** The envelope sender: flag or environment, else the mbox `From ` line, else Return-Path. */
function resolveSender(settings: Settings, msg: IncomingMessage): Envelope {
  if (settings.senderKnown) return settings.envelope;
  const fromLine = msg.mboxSender;
  const returnPath = msg.headers.find((h) => h.name.toLowerCase() === 'return-path')?.raw;
  let sender: ByteString | undefined = fromLine;
  if (sender === undefined && returnPath !== undefined) sender = returnPath.trim().replace(/^<(.*)>$/, '$1');
  return { ...settings.envelope, sender: sender ?? '' };
}

/** Expand every option in Exim's order, with its checks (autoreply.c). */
function expandOptions(settings: Settings, ctx: ExpansionContext): Expanded {
  const o = settings.options;
  const allow8bit = !settings.eximStrict;
  const header = (v: ByteString | undefined) => (v === undefined ? undefined : checkExpand(v, 'header', ctx, allow8bit).value);
  const text = (v: ByteString | undefined) => (v === undefined ? undefined : checkExpand(v, 'text', ctx).value);
  const path = (v: ByteString | undefined, name: string) => {
    if (v === undefined) return undefined;
    const r = checkExpand(v, 'path', ctx);
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
  set('headers', text(o.headers));
  const x: Expanded = { fields, repeatSeconds: 0 };
  const t = text(o.text);
  if (t !== undefined) x.text = t;
  const file = path(o.file, 'file');
  if (file !== undefined) x.file = file;
  const log = path(o.log, 'log');
  if (log !== undefined) x.log = log;
  const once = path(o.once, 'once');
  if (once) x.once = once;
  const repeat = o.once_repeat === undefined ? undefined : checkExpand(o.once_repeat, 'path', ctx).value;
  if (repeat !== undefined) {
    // Exim's syntax only under --exim-strict; PEP's (and, with --mailbox, Misfin's seconds) besides
    const seconds = settings.eximStrict ? parseEximTime(repeat) : parseReplyInterval(repeat, settings.mailbox !== undefined);
    if (seconds === undefined) throw configError(`Invalid time value "${printable(repeat)}" for "once_repeat"`);
    x.repeatSeconds = seconds;
  }
  return x;
}

/**
 * What the reply's source adds to the expanded options: a reply file's header
 * lines (they win over the options), or a mailbox's own database and log next
 * to its `.auto-reply` unless `once` / `log` say otherwise.
 */
function applySource(settings: Settings, source: ReplySource, msg: IncomingMessage, x: Expanded): void {
  if (source.kind === 'reply-file') {
    const merged = replyFileFields(source.template, msg, x.fields);
    x.fields = merged.fields;
    x.fileHeaders = merged.others;
  } else if (source.kind === 'mailbox') {
    if (settings.options.once === undefined) x.once = source.paths.once;
    if (settings.options.log === undefined) x.log = source.paths.log;
  }
}

function expandNeverMail(template: ByteString, ctx: ExpansionContext): ByteString {
  try {
    return expand(template, ctx).value;
  } catch (err) {
    throw configError(`Failed to expand "${printable(template)}" for "never_mail": ${(err as Error).message}`);
  }
}

/** Bare addresses of to, cc and bcc: whom sendmail -t will send the reply to. */
function replyRecipients(f: ReplyFields): ByteString[] {
  return [f.to, f.cc, f.bcc].flatMap((v) => (v === undefined ? [] : headerAddresses(v)));
}

/** The reply's bytes; reads `file` (a missing one defers unless file_optional). */
function buildReplyBytes(settings: Settings, msg: IncomingMessage, x: Expanded, ctx: ExpansionContext, mailboxBody?: ByteString): ByteString {
  const o = settings.options;
  const messageId = incomingMessageId(msg);
  const reply: Reply = {
    fields: settings.eximStrict ? x.fields : encodeReplyFields(x.fields),
    inReplyTo: inReplyToLine(messageId),
    references: referencesLine(msg, messageId, settings.eximStrict ? 0 : 998),
    extraHeaders: '',
  };
  if (x.text !== undefined) reply.text = x.text;
  if (x.file !== undefined) {
    const body = readBodyFile(x.file, o.file_optional);
    if (body !== undefined) reply.fileBody = o.file_expand ? expandLines(body, ctx) : body;
  }
  if (mailboxBody !== undefined) reply.fileBody = mailboxBody;
  if (o.return_message) reply.returned = returnedMessage(msg, o.return_size_limit);
  if (!settings.eximStrict) {
    if (settings.rules.xLoop) reply.extraHeaders += `X-Loop: ${settings.rules.xLoop}\n`;
    reply.extraHeaders += mimeHeaders(reply, x.fields.headers ?? '');
  }
  return buildReply(reply);
}

function readBodyFile(path: ByteString, optional: boolean): ByteString | undefined {
  try {
    return readFileSync(toBuffer(path)).toString('latin1');
  } catch (err) {
    if (optional) return undefined;
    const cause = (err as NodeJS.ErrnoException).code ?? String(err);
    throw tempError(`Failed to open file ${path} when sending message: ${cause}`);
  }
}

/** file_expand: each line expanded on its own; a line that fails is copied as it is (Exim). */
function expandLines(body: ByteString, ctx: ExpansionContext): ByteString {
  const lines = body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines
    .map((line) => {
      try {
        return expand(line, ctx).value;
      } catch {
        return line;
      }
    })
    .join('');
}

/**
 * The rate rule reads the once database before anything is decided; a dry run
 * must work where the database cannot be opened (yet), so it goes without.
 */
async function openStoreForRate(path: ByteString, settings: Settings, trace: (line: string) => void): Promise<OnceStore | undefined> {
  if (!settings.dryRun) return openStore(path, settings);
  try {
    return await openStore(path, settings);
  } catch (err) {
    trace(`rate: not checked in this dry run (${(err as Error).message})`);
    return undefined;
  }
}

async function openStore(path: ByteString, settings: Settings): Promise<OnceStore> {
  const { openOnceStore } = await import('./once/lmdb-store.js');
  return openOnceStore(toText(path), settings.options.mode);
}

function logRecord(path: ByteString, record: ByteString, settings: Settings, output: Output): void {
  const problem = appendRecord(path, record, settings.options.mode);
  if (problem && settings.verbose) output.err(`autoreply: ${problem}`);
}

export { AutoreplyError, fromText };
