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
  eximStrict: boolean;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  aliases: string[];
  rules: RuleSettings;
  allowed: ReadonlySet<RuleName>;
}
