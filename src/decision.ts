import { toText, type ByteString } from './bytes.js';
import type { RuleHit } from './rules/rule.js';

/** Why no reply went out, when none did. */
export type SkipReason =
  | { kind: 'never_mail' }
  | { kind: 'no-recipients' }
  | { kind: 'rule'; hit: RuleHit; others: RuleHit[] }
  | { kind: 'once'; key: string; lastReply: number }
  /** `--mailbox DIR` without `DIR/.auto-reply`: auto-reply is off for this mailbox. */
  | { kind: 'switched-off'; path: string };

/**
 * Thrown where a reply turns out impossible to write safely (SPEC 5, rule
 * `malformed`): a control character in a header, message data that would end a
 * header line, a raw 8-bit address. Outside --exim-strict only; the delivery
 * then ends as a refusal (exit 0), not an error, since an error exit makes the
 * MTA bounce the message to its sender.
 */
export class MalformedReply extends Error {}

/** What the transport decided for one incoming message. */
export type Decision =
  | { action: 'send'; recipients: ByteString[]; reply: ByteString }
  | { action: 'skip'; why: SkipReason; recipients: ByteString[] };

/**
 * One line describing a decision, for --verbose, --dry-run and the log; text,
 * not bytes: addresses and header values are shown as the sender wrote them
 * (UTF-8), not byte by byte.
 */
export function describeDecision(d: Decision): string {
  if (d.action === 'send') return `reply to ${toText(d.recipients.join(', ')) || '(no recipients)'}`;
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
      return `no reply: ${d.why.path} does not exist (auto-reply is off for this mailbox)`;
  }
}
