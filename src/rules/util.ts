import { BLANK_CHARS, trimChars, type ByteString } from '../bytes.js';
import { allHeaderAddresses } from '../message/addresses.js';
import type { HeaderField } from '../message/message.js';
import type { RuleInput } from './rule.js';

/** A header's value unfolded and trimmed, as a person reads it. */
export function headerValue(h: HeaderField): ByteString {
  return trimChars(trimChars(h.raw.replace(/\r?\n(?=[ \t])/g, ''), BLANK_CHARS, 'start'), ' \t\r\n', 'end');
}

/** The value with comments removed (nested, quoted pairs), for structured headers. */
export function stripComments(v: ByteString): ByteString {
  let out = '';
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && (depth > 0 || inQuote)) {
      if (depth === 0) out += c + (v[i + 1] ?? '');
      i++;
    } else if (inQuote) {
      out += c;
      if (c === '"') inQuote = false;
    } else if (c === '(') {
      depth++;
      if (depth === 1) out += ' ';
    } else if (c === ')' && depth > 0) {
      depth--;
    } else if (depth === 0) {
      out += c;
      if (c === '"') inQuote = true;
    }
  }
  return out;
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
  const env = input.sender.replace(/^<(.*)>$/, '$1').trim();
  if (env !== '') out.push({ label: 'sender', address: env });
  for (const a of allHeaderAddresses(input.message, ['From'])) out.push({ label: 'From', address: a });
  return out;
}
