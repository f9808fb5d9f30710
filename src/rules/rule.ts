import { type ByteString } from '../bytes.js';
import type { IncomingMessage } from '../message/message.js';
import type { RuleName } from './index.js';

export type { RuleName };

/** Everything a safety rule may look at. Rules are pure: no I/O, no clock of their own. */
export interface RuleInput {
  message: IncomingMessage;
  /** Envelope sender of the incoming message ('' for a bounce). */
  sender: ByteString;
  /** Whose mailbox this is (bare address), when known. */
  recipient?: ByteString;
  /** Other addresses of the recipient (`--alias`, repeatable). */
  aliases: ByteString[];
  /** Bare addresses the reply would go to (to, cc and bcc after expansion). */
  replyRecipients: ByteString[];
  /** Settings of the rules (`--x-loop`, `--max-recipients`, `--start`/`--end`, ...). */
  settings: RuleSettings;
  /** Now, ms since the epoch. */
  now: number;
}

export interface RuleSettings {
  xLoop?: ByteString;
  maxRecipients: number;
  start?: Date;
  end?: Date;
  authservId?: ByteString;
  maxRepliesPerHour: number;
}

/** A rule that holds says why, in a few words for the log and --verbose. */
export interface RuleHit {
  /** A safety rule, `rate` (judged with the once record), or `malformed`: a reply that cannot be written safely. */
  rule: RuleName | 'rate' | 'malformed';
  /** Built from message bytes and ASCII: shown to people with toText. */
  reason: ByteString;
}

/** One named safety rule; `check` returns a reason when the message must not be answered. */
export interface Rule<N extends string = string> {
  name: N;
  check(input: RuleInput): string | undefined;
}
