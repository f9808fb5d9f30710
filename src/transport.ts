import { toText, type ByteString } from './bytes.js';
import { MalformedReply, type Decision } from './decision.js';
import type { Envelope } from './envelope.js';
import { AutoreplyError, dataError, EXIT, tempError } from './errors.js';
import { safeHeaderBlock } from './reply/header-safety.js';
import { appendRecord } from './log/append.js';
import { notSentRecord, previouslySentRecord, sentRecord } from './log/records.js';
import { headerAddresses } from './message/addresses.js';
import type { IncomingMessage } from './message/message.js';
import { MAX_HEADER_BLOCK, readMessage } from './message/reader.js';
import { onceKey } from './once/key.js';
import { openStore } from './once/open.js';
import type { OnceStore } from './once/store.js';
import { expandLogPath, expandNeverMail, expandOptions, type Expanded } from './options/expand-options.js';
import { replyKey } from './reply-file/identity.js';
import { preloadReplyFile, replyFileBytes, replyFileFields, replySource, type ReplySource } from './reply-source.js';
import { buildReplyBytes } from './reply/assemble.js';
import { removeNeverMail } from './reply/never-mail.js';
import type { ReplyFields } from './reply/reply.js';
import { finish, type Outcome, type Output } from './report.js';
import { evaluateAll } from './rules/index.js';
import { rate } from './rules/rate.js';
import type { RuleInput } from './rules/rule.js';
import type { Settings } from './settings.js';
import { submissionProgramProblem, submit } from './submit/sendmail.js';
import { expansionContext } from './variables.js';

/** The longest address a reply may go to (RFC 5321's 64-octet local part, @, 255-octet domain, as RFC 3696 errata count it: 254). */
const MAX_ADDRESS = 254;

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
  const source = replySource(settings, preloaded.template);
  // --mailbox: the .auto-reply file is the switch; without it, nothing at all happens
  if (source.kind === 'off') return finish(settings, output, skip({ kind: 'switched-off', path: source.path }, []));
  if (message.oversized !== undefined && strict) throw dataError(`the incoming message's header block is larger than ${MAX_HEADER_BLOCK} bytes`);
  const envelope = resolveSender(settings, message);
  const now = new Date();
  const ctx = expansionContext(message, envelope, now, strict);
  try {
    return await answer(settings, output, progress, message, envelope, now, ctx, source);
  } catch (err) {
    if (!(err instanceof MalformedReply)) throw err;
    // not answered, not an error: an error exit would bounce the message to its sender
    const hit = { rule: 'malformed' as const, reason: err.message };
    const log = progress.log ?? (source.kind === 'mailbox' && settings.options.log === undefined ? source.paths.log : expandLogPath(settings, ctx));
    if (log && !settings.dryRun) logRecord(log, notSentRecord(now, progress.to ?? envelope.sender, 'malformed'), settings, output);
    return finish(settings, output, skip({ kind: 'rule', hit, others: [] }, []));
  }
}

async function answer(
  settings: Settings,
  output: Output,
  progress: Progress,
  message: IncomingMessage,
  envelope: Envelope,
  now: Date,
  ctx: ReturnType<typeof expansionContext>,
  source: Exclude<ReturnType<typeof replySource>, { kind: 'off' }>,
): Promise<Outcome> {
  const { options, eximStrict: strict } = settings;
  const trace = (line: string) => settings.verbose && output.err(`autoreply: ${line}`);
  const x = expandOptions(settings, ctx);
  applySource(settings, source, message, x);
  progress.log = x.log;
  const to = x.fields.to;
  progress.to = to;
  if (message.oversized !== undefined) throw new MalformedReply(`the incoming message: ${message.oversized}`);

  if (options.never_mail !== undefined) {
    const list = expandNeverMail(options.never_mail, ctx);
    const kept = removeNeverMail(x.fields, list);
    if (kept === undefined) return finish(settings, output, skip({ kind: 'never_mail' }, []));
    Object.assign(x.fields, kept);
  }

  const recipients = replyRecipients(x.fields);
  // RFC 5321 section 4.5.3.1: no mailbox is longer (a header cut at Exim's 64 KiB leaves such text)
  const overlong = strict ? undefined : recipients.find((a) => a.length > MAX_ADDRESS);
  if (overlong !== undefined) throw new MalformedReply(`a recipient address of ${overlong.length} characters`);
  // one entry per (reply, recipients): a reply file or --handle names the reply
  const identity = settings.handle ?? (source.kind === 'reply-file' ? source.template.identity : undefined);
  const onceKeyValue = x.once && to !== undefined ? replyKey(identity, strict ? to : onceKey(headerAddresses(to))) : undefined;
  // repliesLastHour is left unknown here: `rate` is judged with the once record below
  const ruleInput: RuleInput = {
    message,
    sender: envelope.sender,
    recipient: envelope.recipient || undefined,
    aliases: settings.aliases,
    replyRecipients: recipients,
    settings: settings.rules,
    now: now.getTime(),
  };
  let store: OnceStore | undefined;
  let reply: ByteString;
  try {
    if (!strict) {
      const hits = evaluateAll(ruleInput, settings.allowed);
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
    if (!strict) {
      const safe = safeHeaderBlock(reply);
      if ('problem' in safe) throw new MalformedReply(safe.problem);
      reply = safe.reply;
    }

    if (settings.dryRun) {
      trace(`once: ${onceKeyValue === undefined ? 'not used' : `key ${onceKeyValue} (not checked in a dry run)`}`);
      return finish(settings, output, { action: 'send', recipients, reply });
    }

    // a submission program that cannot start would leave a record of a reply never sent
    const cannotSubmit = submissionProgramProblem(settings.sendmail);
    if (cannotSubmit !== undefined) throw tempError(`reply not sent: ${cannotSubmit}`);

    if (onceKeyValue !== undefined) {
      store = await openStore(x.once!, settings);
      const verdict = await store.checkAndRecord({
        key: onceKeyValue,
        repeatMs: x.repeatSeconds * 1000,
        now: now.getTime(),
        maxBytes: options.once_file_size,
        ...(x.fields.subject !== undefined ? { note: toText(x.fields.subject) } : {}),
        // the circuit breaker, in the same exclusive transaction as the record
        ...(strict || settings.allowed.has('rate') ? {} : { refuseAfter: (n: number) => rate.check({ ...ruleInput, repliesLastHour: n }) }),
      });
      if (!verdict.send && 'refused' in verdict) {
        const hit = { rule: 'rate' as const, reason: verdict.refused };
        if (x.log) logRecord(x.log, notSentRecord(now, to!, 'rate'), settings, output);
        return finish(settings, output, skip({ kind: 'rule', hit, others: [] }, recipients));
      }
      if (!verdict.send) {
        if (x.log) logRecord(x.log, previouslySentRecord(now, to!), settings, output);
        return finish(settings, output, skip({ kind: 'once', key: onceKeyValue, lastReply: verdict.previous.lastReply }, recipients));
      }
    }
  } finally {
    await store?.close();
  }

  const result = await submit(settings.sendmail, reply, settings.submitTimeoutMs);
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

/** The envelope sender: flag or environment, else the mbox `From ` line, else Return-Path. */
function resolveSender(settings: Settings, msg: IncomingMessage): Envelope {
  if (settings.senderKnown) return settings.envelope;
  const fromLine = msg.mboxSender;
  const returnPath = msg.headers.find((h) => h.name.toLowerCase() === 'return-path')?.raw;
  let sender: ByteString | undefined = fromLine;
  if (sender === undefined && returnPath !== undefined) sender = returnPath.trim().replace(/^<(.*)>$/, '$1');
  return { ...settings.envelope, sender: sender ?? '' };
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

/** Bare addresses of to, cc and bcc: whom sendmail -t will send the reply to. */
function replyRecipients(f: ReplyFields): ByteString[] {
  return [f.to, f.cc, f.bcc].flatMap((v) => (v === undefined ? [] : headerAddresses(v)));
}

function logRecord(path: ByteString, record: ByteString, settings: Settings, output: Output): void {
  const problem = appendRecord(path, record, settings.options.mode);
  if (problem && settings.verbose) output.err(`autoreply: ${problem}`);
}

