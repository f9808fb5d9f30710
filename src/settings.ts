import type { Envelope } from './envelope.js';
import type { TransportOptions } from './options/transport-options.js';
import type { RuleName, RuleSettings } from './rules/rule.js';

/** Everything one run of the transport was told: options, envelope, switches. */
export interface Settings {
  options: TransportOptions;
  envelope: Envelope;
  /** False when no flag, environment variable, mbox line or Return-Path named the sender. */
  senderKnown: boolean;
  sendmail: string;
  /** `--submit-timeout` in ms (0: no limit). */
  submitTimeoutMs: number;
  eximStrict: boolean;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  aliases: string[];
  rules: RuleSettings;
  allowed: ReadonlySet<RuleName>;
  /** `--reply-file FILE`: a PEP-style reply file gives the reply's headers and body. */
  replyFile?: string;
  /** `--mailbox DIR`: the Misfin way, `DIR/.auto-reply` is the switch and the body. */
  mailbox?: string;
  /** `--handle NAME`: the reply's identity in the once database (keys become `NAME ADDRESSES`). */
  handle?: string;
  /** `--fire-and-forget`: a failure is logged and the exit is 0; delivery is never affected. */
  fireAndForget: boolean;
}
