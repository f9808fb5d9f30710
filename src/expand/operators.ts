import { asciiLower, asciiUpper, isDigit, isSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import type { OperatorHandler } from './expander.js';
import { parseAddress, parseAddressList, localPartOf, domainOf } from '../address/parse.js';
import { evalExpression } from './eval.js';
import { digest, numericHash, textHash } from './hash.js';
import { listItems } from './lists.js';
import { decodeRfc2047, encodeRfc2047 } from './rfc2047.js';
import { base64, base64Decode, escape8bit, escapePrinting, hex2b64, quote, quoteLocalPart } from './text.js';
import { substr } from './substr.js';
import { bytes, type ByteString } from '../bytes.js';

/**
 * A plain string function lifted to an operator that keeps its input's taint. The
 * functions work on the byte string they are given and return bytes (string
 * operations, ASCII, or bytes made by fromBuffer/fromText), so the result is branded here.
 */
const op =
  (f: (s: ByteString, name: string, arg: string | undefined) => string): OperatorHandler =>
  (sub, name, arg) => ({ value: bytes(f(sub.value, name, arg)), tainted: sub.tainted });

/** Names that contain an underscore as part of the name, not before arguments. */
const UNDERSCORE_NAMES = new Map<string, OperatorHandler | undefined>([
  ['from_utf8', undefined],
  ['local_part', op((s) => {
    const a = parseAddress(s);
    return 'error' in a ? '' : localPartOf(a);
  })],
  ['quote_local_part', op(quoteLocalPart)],
  ['reverse_ip', undefined],
  ['time_eval', undefined],
  ['time_interval', op(timeInterval)],
  ['utf8_domain_from_alabel', undefined],
  ['utf8_domain_to_alabel', undefined],
  ['utf8_localpart_from_alabel', undefined],
  ['utf8_localpart_to_alabel', undefined],
]);

const lengthOp = op((s, name, arg) => {
  const [a] = numericArgs(name, arg, false);
  return substr(s, 0, a);
});
const substrOp = op((s, name, arg) => {
  const [a, b] = numericArgs(name, arg, true);
  return substr(s, a, b);
});
const hashOp = op((s, name, arg) => {
  const [a, b] = numericArgs(name, arg, false);
  return textHash(s, a, b);
});
const nhashOp = op((s, name, arg) => {
  const [a, b] = numericArgs(name, arg, false);
  return numericHash(s, a, b);
});

/** The main table; `undefined` marks an Exim operator autoreply does not provide. */
const MAIN = new Map<string, OperatorHandler | undefined>([
  ['address', op((s) => {
    const a = parseAddress(s);
    return 'error' in a ? '' : a.address;
  })],
  ['addresses', op(addresses)],
  ['base32', undefined],
  ['base32d', undefined],
  ['base62', undefined],
  ['base62d', undefined],
  ['base64', op(base64)],
  ['base64d', op((s) => {
    const d = base64Decode(s);
    if (d === undefined) throw new ExpansionError(`string "${s}" is not well-formed for "base64d" operator`);
    return d;
  })],
  ['domain', op((s) => {
    const a = parseAddress(s);
    return 'error' in a ? '' : domainOf(a);
  })],
  ['escape', op(escapePrinting)],
  ['escape8bit', op(escape8bit)],
  ['eval', op((s) => String(evalExpression(s, false)))],
  ['eval10', op((s) => String(evalExpression(s, true)))],
  ['expand', undefined],
  ['h', hashOp],
  ['hash', hashOp],
  ['headerwrap', undefined],
  ['hex2b64', op(hex2b64)],
  ['hexquote', op((s) => s.replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))],
  ['ipv6denorm', undefined],
  ['ipv6norm', undefined],
  ['l', lengthOp],
  ['lc', op(asciiLower)],
  ['length', lengthOp],
  ['listcount', op((s) => String(listItems(s).length))],
  ['listnamed', undefined],
  ['mask', undefined],
  ['md5', op((s) => digest('md5', s, false))],
  ['nh', nhashOp],
  ['nhash', nhashOp],
  ['quote', op(quote)],
  ['randint', undefined],
  ['rfc2047', op((s) => encodeRfc2047(s))],
  ['rfc2047d', op(decodeRfc2047)],
  ['rxquote', op((s) => s.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`))],
  ['s', substrOp],
  ['sha1', op((s) => digest('sha1', s, true))],
  ['sha2', op(sha2)],
  ['sha256', op((s) => digest('sha256', s, true))],
  ['sha3', op(sha3)],
  ['stat', undefined],
  ['str2b64', op(base64)],
  ['strlen', op((s) => String(s.length))],
  ['substr', substrOp],
  ['uc', op(asciiUpper)],
  ['utf8clean', undefined],
]);

/** Operators that must not be given `_arguments`; others ignore or need them. */
const TAKES_ARGS = new Set(['h', 'hash', 'l', 'length', 'nh', 'nhash', 's', 'substr', 'sha2', 'sha3']);

/**
 * Resolves `${name:` as Exim does: names with a built-in underscore first, then the
 * part before the first `_` with the rest as arguments. Returns undefined for a
 * name Exim would not know ("unknown expansion operator").
 */
export function lookupOperator(
  name: string,
): { handler: OperatorHandler | undefined; arg: string | undefined } | undefined {
  if (UNDERSCORE_NAMES.has(name)) return { handler: UNDERSCORE_NAMES.get(name), arg: undefined };
  const us = name.indexOf('_');
  const base = us < 0 ? name : name.slice(0, us);
  const arg = us < 0 ? undefined : name.slice(us + 1);
  if (!MAIN.has(base)) return undefined;
  if (arg !== undefined && !TAKES_ARGS.has(base)) return { handler: MAIN.get(base), arg: undefined };
  return { handler: MAIN.get(base), arg };
}

/**
 * The `_N_M` arguments of length/substr/hash/nhash. Only substr's first number may
 * be negative; a missing second number is -1 ("unset").
 */
function numericArgs(name: string, arg: string | undefined, signed: boolean): [number, number] {
  if (arg === undefined) throw new ExpansionError(`missing values after ${name}`);
  const isLength = name === 'l' || name.startsWith('length');
  let v1 = 0;
  let v2 = -1;
  let second = isLength;
  if (isLength) v2 = 0;
  let sign = 1;
  let a = arg;
  if (signed && a.startsWith('-')) {
    sign = -1;
    a = a.slice(1);
  }
  for (let i = 0; i < a.length; i++) {
    const c = a[i] as string;
    if (i > 0 && c === '_' && !second) {
      second = true;
      v2 = 0;
      continue;
    }
    if (!isDigit(c)) throw new ExpansionError(`non-digit after underscore in "${name}"`);
    if (second) v2 = v2 * 10 + Number(c);
    else v1 = v1 * 10 + Number(c);
  }
  if (isLength) return [v2, -1];
  return [v1 * sign, v2];
}

/** `${addresses:}` with an optional `>X` output separator (X doubled inside addresses). */
function addresses(input: ByteString): string {
  let s = input;
  let p = 0;
  while (isSpace(s[p])) p++;
  let sep = ':';
  if (s[p] === '>') {
    if (p + 1 >= s.length) throw new ExpansionError(`output separator missing in expanding \${addresses:${s.slice(p)}}`);
    sep = s[p + 1] as string;
    s = bytes(s.slice(p + 2));
  } else s = bytes(s.slice(p));
  const out: string[] = [];
  for (const a of parseAddressList(s)) {
    let text = a.address.split(sep).join(sep + sep);
    if (out.length > 0 && text.startsWith(sep)) text = ` ${text}`;
    out.push(text);
  }
  return out.join(sep);
}

function sha2(s: ByteString, _name: string, arg: string | undefined): string {
  const bits = arg ?? '256';
  if (!['256', '384', '512'].includes(bits)) throw new ExpansionError(`sha2 hash length "${bits}" not supported`);
  return digest(`sha${bits}`, s, true);
}

function sha3(s: ByteString, _name: string, arg: string | undefined): string {
  const bits = arg ?? '256';
  if (!['224', '256', '384', '512'].includes(bits)) throw new ExpansionError(`sha3 hash length "${bits}" not supported`);
  return digest(`sha3-${bits}`, s, true);
}

/** `${time_interval:seconds}`: Exim's readconf_printtime, e.g. 1w2d3h4m5s. */
function timeInterval(s: string): string {
  const t = s.trim();
  if (!/^\d+$/.test(t)) throw new ExpansionError(`string "${s}" is not an Exim number in "time_interval" operator`);
  let n = Number(t);
  if (n === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (n >= size) {
      out += `${Math.floor(n / size)}${unit}`;
      n %= size;
    }
  }
  return out;
}
