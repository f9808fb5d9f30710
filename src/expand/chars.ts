/**
 * C-locale character classes, as Exim's <ctype.h> calls see them: ASCII only,
 * so bytes >= 128 are never letters, digits or spaces.
 */
export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
export const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
export const isAlnum = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);
/** isspace(): space, \t \n \v \f \r. */
export const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
/** isgraph(): printable ASCII other than space. */
export const isGraph = (c: string | undefined): boolean => c !== undefined && c > ' ' && c < '\x7f';
export const isCntrl = (c: string | undefined): boolean =>
  c !== undefined && (c < ' ' || c === '\x7f');
export const isPunct = (c: string | undefined): boolean => isGraph(c) && !isAlnum(c);
export const isXDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** ASCII-only case mapping (Exim's tolower/toupper in the C locale). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
export const asciiUpper = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

/** strcmp() on byte strings: plain code-unit order, which is unsigned byte order. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcmpic(): case-insensitive (ASCII) comparison. */
export function byteCompareIc(a: string, b: string): number {
  return byteCompare(asciiLower(a), asciiLower(b));
}

/** Trim isspace() characters from both ends (not JavaScript's wider trim()). */
export function trimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.slice(a, b);
}
