import type { Expanded } from './context.js';
import { ExpansionError } from './errors.js';
import { execLimited, limitedRegExp } from './regex-limit.js';
import { bytes } from '../bytes.js';

/**
 * PCRE (as Exim 4.96 uses it: PCRE2, no UTF mode) translated to a JavaScript
 * RegExp without the `u` flag, so both work on bytes (our latin1 strings).
 *
 * Differences handled here:
 * - a leading `(?i)`, `(?s)`, `(?m)`, `(?x)` group becomes a flag (JS has no
 *   inline flags; inline flags elsewhere are refused);
 * - `$` also matches before a final newline, `\Z` likewise, `\A` / `\z` anchor;
 * - `.` matches `\r` (PCRE's newline is only LF); `\s`, `\h`, `\v` are ASCII sets;
 * - `\Q...\E`, `\e`, `\a`, `\x{hh}`, `\o{...}`, `\g{n}`, POSIX `[:class:]`,
 *   `(?P<name>`, `(?P=name)`, a `]` first in a class.
 * Constructs JavaScript cannot express (atomic groups, possessive quantifiers,
 * recursion, conditionals, `\K`, `\G`) fail with a clear message.
 */
export function compileRegex(pattern: string, extraFlags = ''): RegExp {
  let flags = '';
  let p = pattern;
  for (;;) {
    const m = /^\(\?([imsx]+)\)/.exec(p);
    if (!m) break;
    flags += m[1];
    p = p.slice(m[0].length);
  }
  const extended = flags.includes('x');
  const dotAll = flags.includes('s');
  const multiline = flags.includes('m');
  let source: string;
  try {
    source = translate(p, { extended, dotAll, multiline });
  } catch (e) {
    if (e instanceof RegexFeatureError) {
      throw new ExpansionError(`regular expression error in "${pattern}": ${e.message}`);
    }
    throw e;
  }
  const jsFlags = [...new Set((flags.includes('i') ? 'i' : '') + (multiline ? 'm' : '') + extraFlags)].join('');
  try {
    return limitedRegExp(source, jsFlags);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(e);
    throw new ExpansionError(`regular expression error in "${pattern}": ${why}`);
  }
}

class RegexFeatureError extends Error {}

const SPACE = '\\t\\n\\v\\f\\r ';
const POSIX: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: SPACE,
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

interface Mode {
  extended: boolean;
  dotAll: boolean;
  multiline: boolean;
}

function translate(p: string, mode: Mode): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '\\') {
      const r = escape(p, i, false);
      out += r.text;
      i = r.next;
      continue;
    }
    if (c === '[') {
      const r = charClass(p, i);
      out += r.text;
      i = r.next;
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      const named = /^P=(\w+)\)/.exec(rest);
      if (named) {
        out += `\\k<${named[1]}>`;
        i += 2 + named[0].length;
        continue;
      }
      if (rest.startsWith('#')) {
        const end = p.indexOf(')', i);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (/^(:|=|!|<=|<!|<[A-Za-z_])/.test(rest)) {
        out += '(?';
        i += 2;
        continue;
      }
      throw new RegexFeatureError(`"(?${rest.slice(0, 2)}" is not supported by autoreply's regex engine`);
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && p[i + 1] === '+' && i > 0) {
      throw new RegexFeatureError('possessive quantifiers are not supported by autoreply\'s regex engine');
    }
    if (c === '.') {
      out += mode.dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '$') {
      // PCRE's $ (no multiline) also matches before a newline that ends the subject.
      out += mode.multiline ? '(?=\\n|$)' : '(?=\\n?$(?![\\s\\S]))';
      i++;
      continue;
    }
    if (mode.extended && (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v')) {
      i++;
      continue;
    }
    if (mode.extended && c === '#') {
      const end = p.indexOf('\n', i);
      i = end < 0 ? p.length : end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** One backslash sequence, outside (`inClass` false) or inside a character class. */
function escape(p: string, i: number, inClass: boolean): { text: string; next: number } {
  const c = p[i + 1];
  if (c === undefined) throw new RegexFeatureError('\\ at end of pattern');
  const two = { next: i + 2 };
  switch (c) {
    case 'A':
      if (inClass) break;
      return { text: '^(?<![\\s\\S])', ...two };
    case 'z':
      if (inClass) break;
      return { text: '$(?![\\s\\S])', ...two };
    case 'Z':
      if (inClass) break;
      return { text: '(?=\\n?$(?![\\s\\S]))', ...two };
    case 's':
      return { text: inClass ? SPACE : `[${SPACE}]`, ...two };
    case 'S':
      if (inClass) return { text: '\\S', ...two };
      return { text: `[^${SPACE}]`, ...two };
    case 'h':
      return { text: inClass ? '\\t \\xa0' : '[\\t \\xa0]', ...two };
    case 'H':
      if (inClass) throw new RegexFeatureError('\\H inside a class is not supported');
      return { text: '[^\\t \\xa0]', ...two };
    case 'v':
      return { text: inClass ? '\\n\\v\\f\\r\\x85' : '[\\n\\v\\f\\r\\x85]', ...two };
    case 'V':
      if (inClass) throw new RegexFeatureError('\\V inside a class is not supported');
      return { text: '[^\\n\\v\\f\\r\\x85]', ...two };
    case 'R':
      if (inClass) break;
      return { text: '(?:\\r\\n|[\\n\\v\\f\\r\\x85])', ...two };
    case 'e':
      return { text: '\\x1b', ...two };
    case 'a':
      return { text: '\\x07', ...two };
    case 'Q': {
      const end = p.indexOf('\\E', i + 2);
      const lit = p.slice(i + 2, end < 0 ? p.length : end);
      return { text: lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), next: end < 0 ? p.length : end + 2 };
    }
    case 'E':
      return { text: '', ...two };
    case 'x': {
      const m = /^\{([0-9a-fA-F]{1,2})\}/.exec(p.slice(i + 2));
      if (m) return { text: `\\x${(m[1] as string).padStart(2, '0')}`, next: i + 2 + m[0].length };
      const h = /^[0-9a-fA-F]{0,2}/.exec(p.slice(i + 2))?.[0] ?? '';
      return { text: `\\x${h.padStart(2, '0')}`, next: i + 2 + h.length };
    }
    case 'o': {
      const m = /^\{([0-7]{1,3})\}/.exec(p.slice(i + 2));
      if (!m) throw new RegexFeatureError('\\o must be followed by {octal}');
      return { text: hexByte(parseInt(m[1] as string, 8)), next: i + 2 + m[0].length };
    }
    case 'g': {
      const m = /^(?:\{(\d+)\}|(\d+))/.exec(p.slice(i + 2));
      if (!m) throw new RegexFeatureError('\\g forms other than \\g{n} are not supported');
      return { text: `\\${m[1] ?? m[2]}`, next: i + 2 + m[0].length };
    }
    case 'K':
    case 'G':
    case 'X':
    case 'C':
    case 'p':
    case 'P':
      throw new RegexFeatureError(`\\${c} is not supported by autoreply's regex engine`);
    default:
      break;
  }
  if (c === '0') {
    // \0 followed by up to two more octal digits.
    const m = /^0[0-7]{0,2}/.exec(p.slice(i + 1)) as RegExpExecArray;
    return { text: hexByte(parseInt(m[0], 8)), next: i + 1 + m[0].length };
  }
  if (inClass && c === 'b') return { text: '\\x08', ...two };
  if (/[A-Za-z0-9]/.test(c)) return { text: `\\${c}`, ...two };
  // An escaped punctuation character is that character, literally.
  return { text: /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c, ...two };
}

function hexByte(n: number): string {
  return `\\x${(n & 0xff).toString(16).padStart(2, '0')}`;
}

/** A `[...]` class: PCRE allows `]` first, POSIX names, and escapes. */
function charClass(p: string, start: number): { text: string; next: number } {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  if (p[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < p.length && p[i] !== ']') {
    const c = p[i] as string;
    if (c === '[' && p[i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (m) {
        const set = POSIX[m[2] as string];
        if (set === undefined || m[1] === '^') throw new RegexFeatureError(`POSIX class "${m[0]}" is not supported`);
        out += set;
        i += m[0].length;
        continue;
      }
    }
    if (c === '\\') {
      const r = escape(p, i, true);
      out += r.text;
      i = r.next;
      continue;
    }
    if (c === '[') {
      out += '\\[';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (i >= p.length) throw new RegexFeatureError(`missing terminating ] for character class at offset ${p.length}`);
  return { text: `${out}]`, next: i + 1 };
}

/**
 * Runs a match (within the budget of regex-limit.ts); on success returns `$0..$n` (unset groups empty) with the taint of
 * the subject, as Exim's regex_match_and_setup() does.
 */
export function matchCaptures(re: RegExp, subject: Expanded): Expanded[] | undefined {
  re.lastIndex = 0;
  const m = execLimited(re, subject.value);
  if (!m) return undefined;
  return Array.from(m, (g) => ({ value: bytes(g ?? ''), tainted: subject.tainted }));
}
