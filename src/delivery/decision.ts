import { bytes, type ByteString, joinBytes, toText } from '../bytes.js';
import type { ReplyFields } from '../reply/reply.js';
import type { RuleHit } from '../rules/rule.js';

/** Why no reply went out, when none did. */
export type SkipReason =
  | { kind: 'never_mail' }
  | { kind: 'no-recipients' }
  /** A safety rule, `rate` (judged with the once record) or `malformed`. */
  | { kind: 'rule'; hit: RuleHit; others: RuleHit[] }
  | { kind: 'once'; key: ByteString; lastReply: number }
  /** `--mailbox DIR` without `DIR/.auto-reply`: auto-reply is off for this mailbox. */
  | { kind: 'switched-off'; path: ByteString }
  /** --fire-and-forget: something failed; reported, and the delivery is not affected. */
  | { kind: 'failed'; reason: string };

/** Where a decision is written in the `log` file, and for whom. */
export interface LogTarget {
  path: ByteString;
  /** The reply's `to` (or its recipients) as the record names them. */
  to: ByteString;
}

/** What the delivery decided for one incoming message. */
export type Decision =
  | { action: 'send'; recipients: ByteString[]; reply: ByteString; fields: ReplyFields; log?: ByteString }
  | { action: 'skip'; why: SkipReason; recipients: ByteString[]; log?: LogTarget };

/**
 * Thrown where a reply turns out impossible to write safely (SPEC 5, rule
 * `malformed`): a control character in a header, message data that would end a
 * header line, a raw 8-bit address. With the safe profile only; the delivery
 * then ends as a refusal (exit 0), not an error, since an error exit makes the
 * MTA bounce the message to its sender.
 */
export class MalformedReply extends Error {}

/**
 * One line describing a decision, for --verbose, --dry-run and the log; text,
 * not bytes: addresses and header values are shown as the sender wrote them
 * (UTF-8), not byte by byte.
 */
export function describeDecision(d: Decision): string {
  if (d.action === 'send') return `reply to ${toText(joinBytes(d.recipients.map(shortAddress), ', ')) || '(no recipients)'}`;
  switch (d.why.kind) {
    case 'never_mail':
      return 'no reply: every recipient removed by never_mail';
    case 'no-recipients':
      return 'no reply: the reply has no recipients';
    case 'rule':
      return `no reply: ${d.why.hit.rule}: ${toText(d.why.hit.reason)}`;
    case 'once':
      return `no reply: previously sent to ${toText(d.why.key)} at ${new Date(d.why.lastReply).toISOString()}`;
    case 'switched-off':
      return `no reply: ${toText(d.why.path)} does not exist (auto-reply is off for this mailbox)`;
    case 'failed':
      return `no reply: failed: ${d.why.reason}`;
  }
}

/** An address for a one-line report: a pathological one is cut. */
function shortAddress(a: ByteString): ByteString {
  return a.length > 200 ? bytes(`${a.slice(0, 197)}...`) : a;
}
