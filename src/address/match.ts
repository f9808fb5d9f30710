import { asciiLower, trimSpace } from '../expand/chars.js';
import { listItems } from '../expand/lists.js';
import { compileRegex } from '../expand/regex.js';
import { execLimited } from '../expand/regex-limit.js';

/**
 * Exim address-list matching (match_address_list, as never_mail uses it): the
 * list is colon separated (or `<x` for another separator); an item matches when
 * - it starts with `^`: a regular expression tested against the whole address;
 * - it is `*@domain` / `local@*` / contains `@`: local part compared with case
 *   (Exim's default, caseful_local_part off, lower-cases… see below) and the
 *   domain as a domain pattern (`*suffix`, or plain, case-insensitive);
 * - it has no `@`: a domain pattern matched against the address's domain
 *   (`*suffix`, or plain);
 * - `!item` negates; the first matching item decides.
 * Exim compares local parts case-insensitively in address lists (it lower-cases
 * both before matching), and domains always case-insensitively.
 */
export function matchAddressList(address: string, listText: string, regexTest?: (re: string, subject: string) => boolean): boolean {
  const at = address.lastIndexOf('@');
  const local = at >= 0 ? address.slice(0, at) : address;
  const domain = at >= 0 ? address.slice(at + 1) : '';
  const test = regexTest ?? regexMatches;
  for (const raw of listItems(listText)) {
    let item = trimSpace(raw);
    if (item === '') continue;
    let negate = false;
    while (item.startsWith('!')) {
      negate = !negate;
      item = trimSpace(item.slice(1));
    }
    let hit: boolean;
    if (item.startsWith('^')) hit = test(item, address);
    else if (item.includes('@')) {
      const iat = item.lastIndexOf('@');
      const ilocal = item.slice(0, iat);
      const idomain = item.slice(iat + 1);
      const localOk = ilocal === '*' || (ilocal.startsWith('*') ? asciiLower(local).endsWith(asciiLower(ilocal.slice(1))) : asciiLower(ilocal) === asciiLower(local));
      hit = localOk && matchDomain(domain, idomain);
    } else hit = matchDomain(domain, item) || (domain === '' && asciiLower(item) === asciiLower(local));
    if (hit) return !negate;
  }
  return false;
}

/** A domain pattern: `*` anything, `*suffix`, `^regex`, or a plain name (caseless). */
function matchDomain(domain: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const d = asciiLower(domain);
  const p = asciiLower(pattern);
  if (p.startsWith('^')) return regexMatches(pattern, domain);
  if (p.startsWith('*')) return d.endsWith(p.slice(1));
  return d === p;
}

/** A `^regex` item of an address list, caseless as Exim matches them. A bad pattern throws ExpansionError. */
function regexMatches(pattern: string, subject: string): boolean {
  return execLimited(compileRegex(pattern, 'i'), subject) !== null;
}
