import { hostname } from 'node:os';
import { bytes, type ByteString, fromText } from '../../bytes.js';
import type { Envelope, EnvelopeHints } from '../../delivery/envelope.js';

/** Flags that say who the message is from and for; each falls back to the environment. */
export interface ContextFlags {
  sender?: string;
  recipient?: string;
  home?: string;
  primaryHostname?: string;
  qualifyDomain?: string;
}

/**
 * The envelope from flags, then the environment an Exim pipe transport sets
 * (SENDER, RECIPIENT, LOCAL_PART, DOMAIN, ...), then Postfix local(8)'s (LOCAL,
 * EXTENSION). Returns whether the sender was named; when not, the caller looks
 * at the message (mbox `From ` line, Return-Path).
 */
export function resolveEnvelope(flags: ContextFlags, env: NodeJS.ProcessEnv): EnvelopeHints {
  const e = (name: string): ByteString | undefined => (env[name] === undefined ? undefined : fromText(env[name]!));
  const f = (v: string | undefined): ByteString | undefined => (v === undefined ? undefined : fromText(v));

  const sender = f(flags.sender) ?? e('SENDER');
  let given: string | undefined = f(flags.recipient) ?? e('RECIPIENT');
  let localPart = flags.recipient === undefined ? e('LOCAL_PART') : undefined;
  let domain = flags.recipient === undefined ? e('DOMAIN') : undefined;
  if (given === undefined && localPart && domain) given = `${localPart}@${domain}`;
  if (given === undefined && e('LOCAL') && domain) given = `${e('LOCAL')}@${domain}`;
  // all byte strings from here: made by fromText above, and slices of them
  const recipient = bytes((given ?? '').replace(/^<(.*)>$/, '$1'));
  const at = recipient.lastIndexOf('@');
  if (localPart === undefined) localPart = at >= 0 ? bytes(recipient.slice(0, at)) : recipient;
  if (domain === undefined) domain = bytes(at >= 0 ? recipient.slice(at + 1) : '');

  const primaryHostname = f(flags.primaryHostname) ?? fromText(hostname());
  const envelope: Envelope = {
    sender: bytes((sender ?? '').replace(/^<(.*)>$/, '$1')),
    recipient,
    localPart,
    domain,
    localPartPrefix: e('LOCAL_PART_PREFIX') ?? bytes(''),
    localPartSuffix: e('LOCAL_PART_SUFFIX') ?? e('EXTENSION') ?? bytes(''),
    home: f(flags.home) ?? e('HOME') ?? bytes(''),
    eximId: e('MESSAGE_ID') ?? bytes(''),
    primaryHostname,
    qualifyDomain: f(flags.qualifyDomain) ?? e('QUALIFY_DOMAIN') ?? primaryHostname,
  };
  return { envelope, senderKnown: sender !== undefined };
}
