import { bytes, type ByteString, joinBytes } from '../bytes.js';
import { bareAddresses } from '../address/list.js';
import { AutoreplyError, dataError, tempError } from '../errors.js';
import type { ExpansionContext } from '../expand/context.js';
import { expansionContext } from '../expand/variables.js';
import type { IncomingMessage } from '../message/message.js';
import { fileNamesMessageText, messageTextReady, optionsNameMessageText, prepareMessageText, TEXT_INPUT_LIMIT } from '../message/message-text.js';
import { MAX_HEADER_BLOCK } from '../message/reader.js';
import { readMessage } from '../message/stdin.js';
import { onceKeyFor } from '../once/key.js';
import { checkExpand } from '../options/check.js';
import { expandLogPath, expandNeverMail, expandOptions, type ExpandedOptions } from '../options/expand.js';
import { composeReply } from '../reply/compose.js';
import { safeHeaderBlock } from '../reply/header-safety.js';
import { removeNeverMail } from '../reply/never-mail.js';
import { threadingHeaders } from '../reply/references.js';
import type { ReplyFields } from '../reply/reply.js';
import { returnedMessage } from '../reply/return-message.js';
import type { ReplySource, SourceHeaders } from '../reply/source.js';
import { judge } from '../rules/index.js';
import { rateHit } from '../rules/rate.js';
import { submissionProgramProblem, submit } from '../submit/sendmail.js';
import { claimOnce } from './claim.js';
import { MalformedReply, type Decision, type LogTarget, type SkipReason } from './decision.js';
import { envelopeFor } from './envelope.js';
import { writeRecord } from './record.js';
import { report, type Output } from './report.js';
import type { DeliveryRequest } from './request.js';
import { prepareSource, type PreparedSource } from './source.js';

/**
 * One delivery, read top to bottom as Exim's autoreply transport tells it
 * (transports/autoreply.c): the message is read, the options expanded,
 * never_mail applied, the safety rules judged, the reply built and the once
 * entry claimed — which ends in one Decision — then the reply is submitted, the
 * log written and the decision reported. Failures are exceptions carrying their
 * exit code (errors.ts); under --fire-and-forget they become a decision too.
 */
export async function deliver(req: DeliveryRequest, input: AsyncIterable<Buffer>, output: Output, now = new Date()): Promise<void> {
  const prepared = prepareSource(req.source, req.handle);
  const quoting = wantsMessageText(req, prepared);
  let message: IncomingMessage | undefined;
  let decision: Decision;
  try {
    // all of the input first, even when no reply will be sent: the MTA is writing it
    message = await readMessage(input, bodyToKeep(req, prepared, quoting));
    decision = await decide(req, prepared, message, now, quoting);
    if (decision.action === 'send' && !req.report.dryRun) await submitReply(decision.reply, req);
  } catch (err) {
    if (!req.fireAndForget) throw err;
    decision = forgiven(err, req, prepared, message, now, output);
  }
  if (!req.report.dryRun) writeRecord(decision, now, req.options.mode, req.report.verbose, output);
  report(req.report, output, decision);
}

/** Everything one decision works with. */
interface Run {
  req: DeliveryRequest;
  source: ReplySource;
  message: IncomingMessage;
  now: Date;
  ctx: ExpansionContext;
}

/** From the message to the Decision; refusals are data, failures are thrown. */
async function decide(req: DeliveryRequest, prepared: PreparedSource, message: IncomingMessage, now: Date, quoting: boolean): Promise<Decision> {
  if ('error' in prepared) throw prepared.error;
  if ('off' in prepared) return skip({ kind: 'switched-off', path: prepared.off });
  if (message.oversized !== undefined && req.profile.eximVerdicts) {
    throw dataError(`the incoming message's header block is larger than ${MAX_HEADER_BLOCK} bytes`);
  }
  // the expander is synchronous: the message's text is decoded (mailparser) before anything is expanded
  if (quoting && message.oversized === undefined) await prepareMessageText(message);
  const ctx = expansionContext(message, envelopeFor(req.envelope, message), now, req.profile.eximVerdicts, req.environment);
  const run: Run = { req, source: prepared.source, message, now, ctx };
  try {
    return await answer(run);
  } catch (err) {
    // the safe profile does not answer what it cannot answer cleanly; an error would bounce to the sender
    if (!(err instanceof MalformedReply)) throw err;
    return skip({ kind: 'rule', hit: { rule: 'malformed', reason: bytes(err.message) }, others: [] }, [], logTarget(run));
  }
}

/** The steps of one answer, each returning data; the first refusal ends it. */
async function answer(run: Run): Promise<Decision> {
  const { req, source, message } = run;
  if (message.oversized !== undefined) throw new MalformedReply(`the incoming message: ${message.oversized}`);
  const x = expandOptions(req.options, run.ctx, { profile: req.profile, bareSeconds: source.kind === 'mailbox' });
  // a `file` expanded line by line (file_expand) may name the message's text too
  if (req.options.file_expand && x.file !== undefined && !req.profile.eximVerdicts && !messageTextReady(message) && fileNamesMessageText(x.file)) {
    await prepareMessageText(message);
  }
  const log = x.log ?? source.defaultPaths.log;
  const headers = source.headers(x.fields, message);

  const fields = applyNeverMail(headers.fields, run);
  if (fields === undefined) return skip({ kind: 'never_mail' });
  headers.fields = fields;
  const recipients = replyRecipients(fields);
  const target = log === undefined ? undefined : { path: log, to: fields.to ?? joinBytes(recipients, ', ') };

  const refused = judgeRules(run, recipients);
  if (refused !== undefined) return skip(refused, recipients, target);

  const reply = buildReply(run, x, headers);
  if (req.report.dryRun) return { action: 'send', recipients, reply, fields };
  // a submission program that cannot start would leave a record of a reply never sent
  const cannotSubmit = submissionProgramProblem(req.submission.program);
  if (cannotSubmit !== undefined) throw tempError(`reply not sent: ${cannotSubmit}`);

  const claimed = await claim(run, x, fields);
  if (claimed !== undefined) return skip(claimed, recipients, target);
  return { action: 'send', recipients, reply, fields, ...(log !== undefined ? { log } : {}) };
}

/** never_mail: the fields with those recipients removed, or undefined when none is left. */
function applyNeverMail(fields: ReplyFields, run: Run): ReplyFields | undefined {
  const template = run.req.options.never_mail;
  if (template === undefined) return fields;
  const kept = removeNeverMail({ ...fields }, expandNeverMail(template, run.ctx));
  return kept === undefined ? undefined : { ...fields, ...kept };
}

/** Bare addresses of to, cc and bcc: whom sendmail -t will send the reply to. */
function replyRecipients(f: ReplyFields): ByteString[] {
  return [f.to, f.cc, f.bcc].flatMap((v) => (v === undefined ? [] : bareAddresses(v)));
}

/** The longest address a reply may go to (RFC 5321: 64 octets of local part, @, 255 of domain; 254 in all, RFC 3696 errata). */
const MAX_ADDRESS = 254;

/** The safety rules (safe profile); a reply with nobody to go to is no reply. */
function judgeRules(run: Run, recipients: ByteString[]): SkipReason | undefined {
  const { req, message } = run;
  if (!req.profile.rules) return undefined;
  const hits = judge(
    {
      message,
      sender: envelopeFor(req.envelope, message).sender,
      recipient: req.envelope.envelope.recipient || undefined,
      aliases: req.aliases,
      replyRecipients: recipients,
      settings: req.rules,
      now: run.now.getTime(),
    },
    req.allowed,
  );
  if (hits.length > 0) return { kind: 'rule', hit: hits[0]!, others: hits.slice(1) };
  if (recipients.length === 0 && !req.profile.submitWithoutRecipients) return { kind: 'no-recipients' };
  // a header cut at Exim's 64 KiB can leave such "addresses"
  const overlong = req.profile.safeReply ? recipients.find((a) => a.length > MAX_ADDRESS) : undefined;
  if (overlong !== undefined) throw new MalformedReply(`a recipient address of ${overlong.length} characters`);
  return undefined;
}

/** The reply's bytes; with the safe profile, a header block that only our own newlines shape. */
function buildReply(run: Run, x: ExpandedOptions, headers: SourceHeaders): ByteString {
  const { req, source, message } = run;
  const o = req.options;
  const body = source.body({ message, text: x.text, file: x.file, options: o, ctx: run.ctx });
  const reply = composeReply({
    headers,
    threading: threadingHeaders(message, !req.profile.safeReply),
    xLoop: req.profile.rules ? req.rules.xLoop : undefined,
    body,
    returned: o.return_message ? returnedMessage(message, o.return_size_limit) : undefined,
    safe: req.profile.safeReply,
  });
  if (!req.profile.safeReply) return reply;
  const safe = safeHeaderBlock(reply);
  if ('problem' in safe) throw new MalformedReply(safe.problem);
  return safe.reply;
}

/** The once entry: undefined when the reply may go (and is now recorded), else why not. */
async function claim(run: Run, x: ExpandedOptions, fields: ReplyFields): Promise<SkipReason | undefined> {
  const { req, source } = run;
  const database = x.once ?? (req.options.once === undefined ? source.defaultPaths.once : undefined);
  // Exim ignores `once` when `to` is unset
  if (database === undefined || fields.to === undefined) return undefined;
  const key = onceKeyFor(fields.to, { exact: req.profile.exactOnceKey, identity: source.identity });
  const maxPerHour = req.profile.rules && !req.allowed.has('rate') ? req.rules.maxRepliesPerHour : 0;
  const verdict = await claimOnce({
    database,
    key,
    scope: req.envelope.envelope.recipient,
    now: run.now.getTime(),
    repeatSeconds: x.repeatSeconds,
    maxPerHour,
    maxBytes: req.options.once_file_size,
    note: fields.subject,
    mode: req.options.mode,
    access: req.once,
    env: req.environment,
  });
  if (verdict.send) return undefined;
  if ('repliesLastHour' in verdict) return { kind: 'rule', hit: rateHit(verdict.repliesLastHour, maxPerHour), others: [] };
  return { kind: 'once', key, lastReply: verdict.previous.lastReply };
}

async function submitReply(reply: ByteString, req: DeliveryRequest): Promise<void> {
  const result = await submit(req.submission.program, reply, req.submission.timeoutMs);
  // the once record stays: rather miss a reply than send two
  if (result.kind === 'failed') throw tempError(`reply not sent: ${result.reason}`);
}

function skip(why: SkipReason, recipients: ByteString[] = [], log?: LogTarget): Decision {
  return log === undefined ? { action: 'skip', why, recipients } : { action: 'skip', why, recipients, log };
}

/**
 * Body bytes to keep: return_message (and a reply file's `{*}`) want up to
 * return_size_limit, or all of it; the message's text wants up to TEXT_INPUT_LIMIT.
 */
function bodyToKeep(req: DeliveryRequest, prepared: PreparedSource, quoting: boolean): number {
  const o = req.options;
  const whole = o.return_message || ('source' in prepared && prepared.source.needsWholeBody);
  const keep = whole && o.return_size_limit === 0 ? Infinity : Math.max(o.return_size_limit, 500);
  return quoting ? Math.max(keep, TEXT_INPUT_LIMIT) : keep;
}

/**
 * Whether this delivery uses the message's text (`$message_text`,
 * `$message_quote`, a reply file's `{quote}`), decided before the message is
 * read by a cheap scan of the configured strings, so that other deliveries
 * neither keep more of the body nor load mailparser. Never under --exim-strict,
 * where the variables do not exist. (A `file` with file_expand is looked at once
 * its path is expanded: answer().)
 */
function wantsMessageText(req: DeliveryRequest, prepared: PreparedSource): boolean {
  if (req.profile.eximVerdicts || !('source' in prepared)) return false;
  return prepared.source.needsMessageText === true || optionsNameMessageText(req.options);
}

/**
 * Where a refusal or a failure is recorded when the options could not all be
 * expanded: the `log` path and the `to` value expanded on their own, best effort.
 */
function logTarget(run: Run): LogTarget | undefined {
  const o = run.req.options;
  const path = expandLogPath(o.log, run.ctx, run.req.profile) ?? (o.log === undefined ? run.source.defaultPaths.log : undefined);
  if (path === undefined) return undefined;
  let to: ByteString = envelopeFor(run.req.envelope, run.message).sender;
  try {
    if (o.to !== undefined) to = checkExpand(o.to, 'header', run.ctx, run.req.profile).value;
  } catch {
    // the sender, then
  }
  return { path, to };
}

/**
 * --fire-and-forget: an auto-reply must never affect the delivery of the message
 * it answers (Misfin's rule). The failure is said on stderr and, when a log is
 * known, recorded there; the exit is 0.
 */
function forgiven(err: unknown, req: DeliveryRequest, prepared: PreparedSource, message: IncomingMessage | undefined, now: Date, output: Output): Decision {
  const reason = (err instanceof AutoreplyError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`).replace(/\s*\n\s*/g, ' ');
  output.err(`autoreply: ${reason} (ignored: --fire-and-forget)`);
  let log: LogTarget | undefined;
  if (message !== undefined && 'source' in prepared) {
    const ctx = expansionContext(message, envelopeFor(req.envelope, message), now, req.profile.eximVerdicts, req.environment);
    log = logTarget({ req, source: prepared.source, message, now, ctx });
  }
  return skip({ kind: 'failed', reason }, [], log);
}
