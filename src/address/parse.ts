import { skipCfws } from '../message/structured.js';
import { bytes, type ByteString } from '../bytes.js';

/**
 * RFC 5322 address parsing the way Exim's parse.c does it
 * (parse_extract_address / parse_find_address_end): the one address parser of
 * the program. `${address:}`, `${addresses:}`, `${domain:}`, `${local_part:}`,
 * never_mail, the reply's recipients, the once key and the safety rules all read
 * addresses through it (list.ts has the forms they need).
 */

export interface ParsedAddress {
  /** The bare address: local part, `@`, domain; quotes kept, comments dropped. */
  address: ByteString;
  /** Index in `address` where the domain starts, 0 when there is none. */
  domainStart: number;
}

export type ParseResult = ParsedAddress | { error: string };

/** RFC 822 specials and controls end an atom; bytes >= 128 do not. */
const isSpecial = (c: string | undefined): boolean =>
  c === undefined || c <= ' ' || c === '\x7f' || '()<>@,;:\\".[]'.includes(c);

class Parser {
  pos = 0;
  /** Exim's parse_allow_group / parse_found_group flags. */
  allowGroup: boolean;
  foundGroup = false;

  constructor(
    readonly s: ByteString,
    allowGroup: boolean,
  ) {
    this.allowGroup = allowGroup;
  }

  at(): string | undefined {
    return this.s[this.pos];
  }

  /** skip_comment(): whitespace and (nested) comments. */
  skipComment(): void {
    this.pos = skipCfws(this.s, this.pos);
  }

  /** The end of the run of atom characters from `from` (text is appended by slices: a header can be megabytes). */
  atomEnd(from: number): number {
    let i = from;
    while (!isSpecial(this.s[i])) i++;
    return i;
  }

  /** read_local_part(): dot-separated words (atoms or quoted strings). */
  readLocalPart(allowNull: boolean): { text: string; error?: string } {
    const s = this.s;
    let t = '';
    for (;;) {
      const before = t.length;
      this.skipComment();
      if (this.at() === '"') {
        // up to the closing quote; a backslash takes the next character with it
        let i = this.pos + 1;
        for (;;) {
          while (i < s.length && s[i] !== '"' && s[i] !== '\\') i++;
          if (s[i] !== '\\') break;
          i += i + 1 < s.length ? 2 : 1;
        }
        t += s.slice(this.pos, i);
        if (i >= s.length) {
          this.pos = i;
          return { text: t, error: 'unmatched doublequote in local part' };
        }
        this.pos = i + 1;
        t += '"';
      } else {
        for (;;) {
          const end = this.atomEnd(this.pos);
          t += s.slice(this.pos, end);
          this.pos = end;
          // a backslash quotes the character after it
          if (this.at() !== '\\' || this.pos + 1 >= s.length) break;
          t += s.slice(this.pos, this.pos + 2);
          this.pos += 2;
        }
      }
      if (t.length === before) {
        if (t.length === 0 && allowNull) return { text: t };
        return { text: t, error: 'missing or malformed local part' };
      }
      this.skipComment();
      if (this.at() !== '.') return { text: t };
      t += '.';
      this.pos++;
    }
  }

  /** read_domain(): dot-separated atoms, or a [domain literal]. */
  readDomain(): { text: string; error?: string } {
    this.skipComment();
    if (this.at() === '[') {
      const end = this.s.indexOf(']', this.pos);
      if (end < 0) return { text: '', error: 'missing ] in domain literal' };
      const text = this.s.slice(this.pos, end + 1);
      this.pos = end + 1;
      return { text };
    }
    let t = '';
    for (;;) {
      const before = t.length;
      this.skipComment();
      const end = this.atomEnd(this.pos);
      t += this.s.slice(this.pos, end);
      this.pos = end;
      if (t.length === before) return { text: t, error: 'domain missing or malformed' };
      this.skipComment();
      if (this.at() !== '.') return { text: t };
      t += '.';
      this.pos++;
    }
  }

  /** read_route(): `@a,@b:` source routes, which Exim ignores. */
  readRoute(): string | undefined {
    while (this.at() === '@') {
      this.pos++;
      const d = this.readDomain();
      if (d.error) return d.error;
      this.skipComment();
      if (this.at() === ',') {
        this.pos++;
        this.skipComment();
        continue;
      }
      if (this.at() === ':') {
        this.pos++;
        return undefined;
      }
      return 'colon expected after route';
    }
    return undefined;
  }

  /** read_addr_spec(): local-part [@ domain] up to `term`. */
  readAddrSpec(term: string | undefined): { text: string; domainStart: number; error?: string } {
    const lp = this.readLocalPart(false);
    if (lp.error) return { text: lp.text, domainStart: 0, error: lp.error };
    if (this.at() === term) return { text: lp.text, domainStart: 0 };
    if (this.at() !== '@') return { text: lp.text, domainStart: 0, error: `"@" or "." expected after "${lp.text}"` };
    this.pos++;
    const d = this.readDomain();
    return { text: `${lp.text}@${d.text}`, domainStart: lp.text.length + 1, error: d.error };
  }

  extract(): ParseResult {
    const fail = (error: string): ParseResult => {
      if (this.foundGroup && this.at() === ';') {
        this.foundGroup = false;
        this.allowGroup = true;
      }
      return { error };
    };
    let yieldText: string;
    let domainStart = 0;
    for (;;) {
      this.skipComment();
      const lp = this.readLocalPart(true);
      if (lp.error) return fail(lp.error);
      if (this.at() !== '@' && this.at() !== '<') {
        if (this.at() === undefined || this.at() === ';') {
          if (lp.text === '') return fail('empty address');
          return this.finish(lp.text, 0, fail);
        }
        // A phrase before <route-addr>, or a group name before ':'.
        while (this.at() !== '<' && (!this.allowGroup || this.at() !== ':')) {
          const w = this.readLocalPart(false);
          if (w.error) return fail(`${w.error} (expected word or "<")`);
        }
        if (this.at() === ':') {
          this.foundGroup = true;
          this.allowGroup = false;
          this.pos++;
          continue;
        }
      }
      if (this.at() === '<') {
        let brackets = 1;
        this.pos++;
        // strip_excess_angle_brackets is off by default: one pair only.
        this.skipComment();
        let routed = false;
        if (this.at() === '@') {
          const err = this.readRoute();
          if (err) return fail(err);
          routed = true;
        }
        const spec = this.readAddrSpec('>');
        if (spec.error) return fail(spec.error);
        yieldText = spec.text;
        domainStart = spec.domainStart;
        if (routed && domainStart === 0) return fail('domain missing in source-routed address');
        while (brackets-- > 0) {
          if (this.at() !== '>') {
            return fail(
              this.at() === undefined
                ? "'>' missing at end of address"
                : `malformed address: ${this.s.slice(this.pos, this.pos + 32)} may not follow ${this.s.slice(0, this.pos)}`,
            );
          }
          this.pos++;
        }
        this.skipComment();
      } else if (lp.text === '') {
        // "@route:addr" without angle brackets.
        const err = this.readRoute();
        if (err) return fail(err);
        const spec = this.readAddrSpec(undefined);
        if (spec.error) return fail(spec.error);
        yieldText = spec.text;
        domainStart = spec.domainStart;
        if (domainStart === 0) return fail('domain missing in source-routed address');
      } else {
        this.pos++; // '@'
        const d = this.readDomain();
        if (d.text === '') return fail(d.error ?? 'domain missing or malformed');
        yieldText = `${lp.text}@${d.text}`;
        domainStart = lp.text.length + 1;
      }
      return this.finish(yieldText, domainStart, fail);
    }
  }

  private finish(address: string, domainStart: number, fail: (e: string) => ParseResult): ParseResult {
    if (this.at() !== undefined) {
      if (this.foundGroup && this.at() === ';') {
        this.foundGroup = false;
        this.allowGroup = true;
      } else {
        return fail(
          `malformed address: ${this.s.slice(this.pos, this.pos + 32)} may not follow ${this.s.slice(0, this.pos)}`,
        );
      }
    }
    return { address: bytes(address), domainStart }; // slices of the byte string s
  }
}

/** parse_extract_address() on a single address (`${address:}` and friends). */
export function parseAddress(s: ByteString): ParseResult {
  return new Parser(s, false).extract();
}

/**
 * parse_find_address_end(): the end of the address starting at `pos` — the next
 * comma outside quotes, comments, angle brackets and source routes.
 */
export function findAddressEnd(s: ByteString, pos: number): number {
  let p = pos;
  let sourceRouting = s[p] === '@';
  let noTerm = sourceRouting ? 1 : 0;
  while (p < s.length && (s[p] !== ',' || noTerm > 0)) {
    const c = s[p];
    if (c === '\\' && p + 1 < s.length) p += 2;
    else if (c === '(') {
      let level = 1;
      while (++p < s.length) {
        const d = s[p];
        if (d === '\\' && p + 1 < s.length) p++;
        else if (d === '(') level++;
        else if (d === ')' && --level === 0) break;
        else if (d === '"') {
          while (++p < s.length && s[p] !== '"') if (s[p] === '\\' && p + 1 < s.length) p++;
          if (p >= s.length) break;
        }
      }
      if (p < s.length) p++;
    } else if (c === '"') {
      while (++p < s.length && s[p] !== '"') if (s[p] === '\\' && p + 1 < s.length) p++;
      if (p < s.length) p++;
    } else {
      if (c === '<') {
        sourceRouting = s[p + 1] === '@';
        noTerm = sourceRouting ? 2 : 1;
      } else if (c === '>') noTerm--;
      else if (sourceRouting && c === ':') noTerm--;
      p++;
    }
  }
  return p;
}

/**
 * Every address in a header-style list, as `${addresses:}` finds them (groups
 * allowed; unparsable entries skipped).
 */
export function parseAddressList(s: ByteString): ParsedAddress[] {
  const found: ParsedAddress[] = [];
  let allowGroup = true;
  let foundGroup = false;
  let pos = 0;
  for (;;) {
    const end = findAddressEnd(s, pos);
    const p: Parser = new Parser(bytes(s.slice(pos, end)), allowGroup);
    p.foundGroup = foundGroup;
    const r = p.extract();
    allowGroup = p.allowGroup;
    foundGroup = p.foundGroup;
    if (!('error' in r)) found.push(r);
    if (end >= s.length) break;
    pos = end + 1;
  }
  return found;
}

/** The local part of a parsed address (quotes kept, as Exim's `${local_part:}`). */
export function localPartOf(a: ParsedAddress): ByteString {
  return a.domainStart > 0 ? bytes(a.address.slice(0, a.domainStart - 1)) : a.address;
}

/** The domain of a parsed address, or empty. */
export function domainOf(a: ParsedAddress): ByteString {
  return bytes(a.domainStart > 0 ? a.address.slice(a.domainStart) : '');
}
