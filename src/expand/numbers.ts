import { isDigit, isSpace } from './chars.js';
import { ExpansionError } from './errors.js';

export const ARITH_MAX = 0x7fffffffffffffffn;
export const ARITH_MIN = -0x8000000000000000n;

/** Wraps a BigInt to a signed 64-bit value, as C arithmetic on int64 does. */
export const wrap64 = (n: bigint): bigint => BigInt.asIntN(64, n);

/**
 * C strtoll(s, &end, 10) without the leading-whitespace skip: optional sign and
 * decimal digits, saturating on overflow. Returns the value and the end index.
 */
export function strtoll10(s: string, pos: number): { value: bigint; end: number; overflow: boolean } {
  let p = pos;
  let neg = false;
  if (s[p] === '+' || s[p] === '-') {
    neg = s[p] === '-';
    p++;
  }
  const digitsStart = p;
  while (isDigit(s[p])) p++;
  if (p === digitsStart) return { value: 0n, end: pos, overflow: false };
  let v = BigInt(s.slice(digitsStart, p));
  if (neg) v = -v;
  let overflow = false;
  if (v > ARITH_MAX) {
    v = ARITH_MAX;
    overflow = true;
  } else if (v < ARITH_MIN) {
    v = ARITH_MIN;
    overflow = true;
  }
  return { value: v, end: p, overflow };
}

/**
 * expanded_string_integer(): the numeric conditions' reading of a string. Blank is
 * 0; otherwise a decimal integer, optionally followed by K, M or G (powers of 1024)
 * and whitespace.
 */
export function eximInteger(input: string): bigint {
  let p = 0;
  while (isSpace(input[p])) p++;
  if (p === input.length) return 0n;
  const s = input.slice(p);
  const isplus = false;
  const { value, end, overflow } = strtoll10(s, 0);
  let msg: string;
  if (end === 0) msg = `integer expected but "${s}" found`;
  else if (value < 0n && isplus) msg = `non-negative integer expected but "${s}" found`;
  else {
    let v = value;
    let e = end;
    let range = overflow;
    const mult = { k: 1024n, m: 1024n * 1024n, g: 1024n * 1024n * 1024n }[(s[e] ?? '').toLowerCase()];
    if (mult !== undefined) {
      if (v > ARITH_MAX / mult || v < ARITH_MIN / mult) range = true;
      else v *= mult;
      e++;
    }
    if (range) msg = `absurdly large integer found in "${s}"`;
    else {
      while (isSpace(s[e])) e++;
      if (e === s.length) return v;
      msg = `invalid integer "${s}"`;
    }
  }
  throw new ExpansionError(msg);
}

/**
 * C strtol(s, &end, 10) as the `${substr{..}}` family uses it: leading whitespace
 * skipped, the whole string must be consumed. Returns undefined when it is not.
 */
export function cStrtolWhole(s: string): number | undefined {
  let p = 0;
  while (isSpace(s[p])) p++;
  const { value, end } = strtoll10(s, p);
  const stop = end === p ? 0 : end; // no digits: strtol leaves end at the start
  if (stop !== s.length) return undefined;
  // strtol returns long; int conversion truncates to 32 bits.
  return Number(BigInt.asIntN(32, value));
}
