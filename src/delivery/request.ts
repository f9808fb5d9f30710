import type { ByteString } from '../bytes.js';
import type { TransportOptions } from '../options/transport-options.js';
import type { Profile } from '../profile.js';
import type { Switchable } from '../rules/index.js';
import type { RuleSettings } from '../rules/rule.js';
import type { EnvelopeHints } from './envelope.js';
import type { ReportMode } from './report.js';

/** Where the reply's headers and body come from (reply/source.ts). */
export type SourceSpec = { kind: 'options' } | { kind: 'reply-file'; path: string } | { kind: 'mailbox'; dir: string };

/** How shared once servers are reached (once/open.ts). */
export interface OnceAccess {
  /** Connecting and each command, ms. */
  timeoutMs: number;
  /** How long an entry is kept where entries expire (Redis), when once_repeat is 0. */
  maxAgeMs: number;
  /** `--once-password-file`: the password of a server, when not in the URL or the environment. */
  passwordFile?: string;
}

/** Everything one delivery was told, by the command line, the config file and the environment. */
export interface DeliveryRequest {
  profile: Profile;
  /** The transport options, unexpanded. */
  options: TransportOptions;
  source: SourceSpec;
  /** `--handle NAME`: the reply's identity in the once database. */
  handle?: string;
  envelope: EnvelopeHints;
  /** The safety rules' settings, the recipient's other addresses, and the rules switched off. */
  rules: RuleSettings;
  aliases: ByteString[];
  allowed: ReadonlySet<Switchable>;
  submission: { program: string; timeoutMs: number };
  once: OnceAccess;
  report: ReportMode;
  /** Any failure is reported and the exit is 0: the delivery of the message is never affected. */
  fireAndForget: boolean;
  /** The environment the run was given (`${env{NAME}}`). */
  environment: NodeJS.ProcessEnv;
}
