import { isCntrl, isPunct, isSpace } from './chars.js';

/**
 * Exim's string_nextinlist() over a whole list: `:` separated unless the list
 * starts with `<` and a punctuation character; a doubled separator stands for a
 * literal one; items lose leading and trailing whitespace; empty items are kept.
 */
export function listItems(list: string, defaultSep = ':'): string[] {
  const items: string[] = [];
  let s = 0;
  let sep = '';
  const L = list;
  const skip = (): void => {
    while (isSpace(L[s]) && L[s] !== sep) s++;
  };
  skip();
  if (L[s] === '<' && (isPunct(L[s + 1]) || isCntrl(L[s + 1]))) {
    sep = L[s + 1] as string;
    s += 2;
    skip();
  } else sep = defaultSep;
  const special = isCntrl(sep);
  for (;;) {
    skip();
    if (s >= L.length) break;
    if (L[s] === sep) {
      s++;
      if (L[s] !== sep || special) {
        items.push('');
        continue;
      }
    }
    let item = '';
    for (;;) {
      let ss = s + 1;
      while (ss < L.length && L[ss] !== sep) ss++;
      item += L.slice(s, ss);
      s = ss;
      if (s >= L.length) break;
      s++;
      if (L[s] !== sep || special) break;
    }
    // Trailing spaces go, unless escaped by a backslash (Exim's rule).
    let n = item.length;
    while (n > 0 && isSpace(item[n - 1]) && (n === 1 || item[n - 2] !== '\\')) n--;
    items.push(item.slice(0, n));
  }
  return items;
}
