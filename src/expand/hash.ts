import { createHash } from '../lazy-crypto.js';
import { type ByteString, toBuffer } from '../bytes.js';
import { ExpansionError } from './errors.js';

/** Digest of a byte string; Exim prints md5 in lower case and the SHA family in upper case. */
export function digest(algorithm: string, s: ByteString, upper: boolean): string {
  const hex = createHash(algorithm).update(toBuffer(s)).digest('hex');
  return upper ? hex.toUpperCase() : hex;
}

const HASHCODES = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * compute_hash(): `${hash_N_M:}` — a textual hash of N characters drawn from the
 * first M (default 26) of HASHCODES. A string shorter than N is returned as is.
 */
export function textHash(subject: string, n: number, m: number): string {
  const limit = m < 0 ? 26 : m;
  if (limit > HASHCODES.length) throw new ExpansionError(`hash count "${limit}" too big`);
  if (n >= subject.length) return subject;
  const b = Array.from(subject, (c) => c.charCodeAt(0));
  let i = 0;
  for (let j = n; j < b.length; j++) {
    const c = b[j] as number;
    const shift = (c + j) & 7;
    b[i] = ((b[i] as number) ^ ((c << shift) | (c >> (8 - shift)))) & 0xff;
    if (++i >= n) i = 0;
  }
  let out = '';
  for (let k = 0; k < n; k++) out += HASHCODES[(b[k] as number) % limit];
  return out;
}

const PRIMES = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
  103, 107, 109, 113,
];

/** compute_nhash(): `${nhash_N:}` gives one number below N, `${nhash_N_M:}` gives "a/b". */
export function numericHash(subject: string, n: number, m: number): string {
  let total = 0n;
  let i = 0;
  for (const ch of subject) {
    // Exim's loop never uses PRIMES[0]: it wraps from index 1 back to the top.
    if (i === 0) i = PRIMES.length - 1;
    total += BigInt(PRIMES[i--] as number) * BigInt(ch.charCodeAt(0));
  }
  total = BigInt.asUintN(64, total);
  if (m < 0) {
    if (n === 0) throw new ExpansionError('nhash divisor must not be zero');
    return String(total % BigInt(n));
  }
  const div = BigInt(n) * BigInt(m);
  if (div === 0n) throw new ExpansionError('nhash divisor must not be zero');
  total %= div;
  return `${total / BigInt(m)}/${total % BigInt(m)}`;
}
