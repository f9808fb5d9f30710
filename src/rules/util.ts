import { BLANK_CHARS, bytes, type ByteString, trimChars } from '../bytes.js';
import { bareAddresses } from '../address/list.js';
import type { HeaderField, IncomingMessage } from '../message/message.js';
import type { RuleInput } from './rule.js';

/** A header's value unfolded and trimmed, as a person reads it. */
export function headerValue(h: HeaderField): ByteString {
  return trimChars(trimChars(bytes(h.raw.replace(/\r?\n(?=[ \t])/g, '')), BLANK_CHARS, 'start'), ' \t\r\n', 'end');
}

/** `Name: value` for a reason, printable and short enough for one log line. */
export function showHeader(h: HeaderField, max = 100): string {
  return `${h.name}: ${short(headerValue(h), max)}`;
}

/** Control characters out, long values cut: reasons go to a one-line log entry. */
export function short(v: string, max = 100): string {
  const clean = v.replace(/[\x00-\x1f\x7f]+/g, ' ');
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean;
}

/**
 * The envelope sender and the From addresses, labelled for reasons. `daemon` and
 * `self` look at both: a robot may hide behind either one.
 */
export function senderAndFrom(input: RuleInput): { label: string; address: ByteString }[] {
  const out: { label: string; address: ByteString }[] = [];
  const env = trimChars(bytes(input.sender.replace(/^<(.*)>$/, '$1')));
  if (env !== '') out.push({ label: 'sender', address: env });
  for (const a of addressesIn(input.message, ['From'])) out.push({ label: 'From', address: a });
  return out;
}

/** Every address in every header of these names (case-insensitive), in message order. */
export function addressesIn(msg: IncomingMessage, names: readonly string[]): ByteString[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return msg.headers.filter((h) => wanted.has(h.name.toLowerCase())).flatMap((h) => bareAddresses(h.raw));
}
