import type { ByteString } from '../bytes.js';
import { splitAddress } from '../address/list.js';
import type { Rule } from './rule.js';
import { senderAndFrom, short } from './util.js';

/**
 * Robot mailboxes, matched against the whole local part (so `flowerowner@` is not
 * `owner-*@`). The union of the PEP reply-file refusal list, Exim's `personal`
 * test and the usual no-reply names; plus Mailman's `*-bounces` and `*-owner`,
 * which are as much robots as `*-request`.
 */
const PATTERNS: readonly { show: string; re: RegExp }[] = [
  ...[
    'mailer-daemon',
    'postmaster',
    'listserv',
    'majordomo',
    'mailer',
    'server',
    'daemon',
    'root',
    'noreply',
    'no-reply',
    'donotreply',
    'do-not-reply',
  ].map((n) => ({ show: `${n}@`, re: new RegExp(`^${n}$`) })),
  { show: '*-request@', re: /^.+-request$/ },
  { show: '*-relay@', re: /^.+-relay$/ },
  { show: '*-outgoing@', re: /^.+-outgoing$/ },
  { show: '*-bounces@', re: /^.+-bounces$/ },
  { show: '*-owner@', re: /^.+-owner$/ },
  { show: 'bounce-*@', re: /^bounce-.+$/ },
  { show: 'owner-*@', re: /^owner-.+$/ },
];

/** The pattern a local part matches, trying it also without a `+detail` (VERP, sub-addressing). */
export function robotPattern(address: ByteString): string | undefined {
  const local = splitAddress(address).local.toLowerCase();
  const candidates = [local];
  const plus = local.indexOf('+');
  if (plus > 0) candidates.push(local.slice(0, plus));
  for (const c of candidates) {
    const p = PATTERNS.find((p) => p.re.test(c));
    if (p) return p.show;
  }
  return undefined;
}

export const daemon: Rule<'daemon'> = {
  name: 'daemon',
  check(input) {
    for (const { label, address } of senderAndFrom(input)) {
      const p = robotPattern(address);
      if (p) return `${label} ${short(address, 100)} matches ${p}`;
    }
    return undefined;
  },
};
