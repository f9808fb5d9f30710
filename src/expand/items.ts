import type { Expanded } from './context.js';
import { isSpace, trimSpace } from './chars.js';
import { evalCondition } from './conditions.js';
import { ExpansionError, curlyError } from './errors.js';
import type { ItemHandler } from './expander.js';
import { FileTooLargeError } from '../files.js';
import { numericHash, textHash } from './hash.js';
import { listItems } from './lists.js';
import { cStrtolWhole } from './numbers.js';
import { checkSize, untainted } from './out.js';
import { compileRegex } from './regex.js';
import { matchAllLimited } from './regex-limit.js';
import { substr } from './substr.js';
import { yesNo } from './yesno.js';
import { bytes, type ByteString, joinBytes, splitBytes } from '../bytes.js';

/** Exim items autoreply recognises but does not provide (they need a running MTA or a database). */
export const UNSUPPORTED_ITEMS = new Set([
  'acl', 'authresults', 'certextract', 'dlfunc', 'filter', 'hmac', 'imapfolder', 'listquote',
  'lookup', 'map', 'perl', 'prvs', 'prvscheck', 'readsocket', 'reduce', 'run', 'sort', 'srs_encode',
]);

const taintOf = (...vs: (Expanded | undefined)[]): boolean => vs.some((v) => v?.tainted === true);

/** `${if COND {yes}{no}}`: `$0..$n` and `$value` set inside are restored afterwards. */
const ifItem: ItemHandler = (ex, _name, skipping, out) => {
  ex.scoped(() => {
    ex.skipWhite();
    const cond = evalCondition(ex, skipping);
    yesNo(ex, skipping, cond, ex.lookupValue, 'if', out);
  });
};

/** `${length{N}{s}}`, `${substr{S}{L}{s}}`, `${hash{N}{M}{s}}`, `${nhash{N}{M}{s}}`. */
const numericItem: ItemHandler = (ex, name, skipping, out) => {
  const subs = ex.readSubs(name === 'length' ? 2 : 3, 2, skipping, name);
  if (skipping) return;
  let args: (Expanded | undefined)[] = subs;
  if (subs.length === 2) args = name === 'length' ? [undefined, subs[0], subs[1]] : [subs[0], undefined, subs[1]];
  const vals = [0, -1];
  for (let i = 0; i < 2; i++) {
    const a = args[i];
    if (!a) continue;
    const v = cStrtolWhole(a.value);
    if (v === undefined || (i !== 0 && v < 0)) {
      throw new ExpansionError(`"${a.value}" is not a${i !== 0 ? ' positive' : ''} number (in "${name}" expansion)`);
    }
    vals[i] = v;
  }
  const subject = args[2] as Expanded;
  const [v1, v2] = vals as [number, number];
  const value =
    name === 'hash' ? textHash(subject.value, v1, v2) : name === 'nhash' ? numericHash(subject.value, v1, v2) : substr(subject.value, v1, v2);
  out.add({ value: bytes(value), tainted: subject.tainted });
};

/**
 * `${sg{subject}{regex}{replacement}}`: like Exim, the replacement is expanded
 * once as an argument and then again for each match, with `$0..$9` set; a
 * replacement holding message data is refused rather than expanded again.
 */
const sgItem: ItemHandler = (ex, name, skipping, out) => {
  const [subject, regex, repl] = ex.readSubs(3, 3, skipping, name) as [Expanded, Expanded, Expanded];
  if (skipping) return;
  const global = compileRegex(regex.value, 'g');
  // Exim re-expands the replacement, and refuses to expand anything tainted
  // (a string without $ or \\ is returned as is, so that case passes).
  if (repl.tainted && /[$\\]/.test(repl.value)) {
    throw new ExpansionError(`attempt to expand tainted string '${repl.value}'`);
  }
  let result = '';
  let last = 0;
  let tainted = taintOf(subject, regex, repl);
  for (const m of matchAllLimited(global, subject.value)) {
    const idx = m.index ?? 0;
    result += subject.value.slice(last, idx);
    const insert = ex.scoped(() => {
      ex.captures = Array.from(m, (g) => ({ value: bytes(g ?? ''), tainted: subject.tainted }));
      return ex.reexpand(repl.value);
    });
    if (insert.tainted) tainted = true;
    result += insert.value;
    checkSize(result.length);
    last = idx + m[0].length;
  }
  result += subject.value.slice(last);
  out.add({ value: bytes(result), tainted });
};

/** `${tr{subject}{from}{to}}`: each byte found in `from` (last occurrence) maps to `to`. */
const trItem: ItemHandler = (ex, name, skipping, out) => {
  const [subject, from, to] = ex.readSubs(3, 3, skipping, name) as [Expanded, Expanded, Expanded];
  if (skipping) return;
  const o2m = to.value.length - 1;
  let value = subject.value;
  if (o2m >= 0) {
    value = bytes(Array.from(subject.value, (c) => {
      const o = from.value.lastIndexOf(c);
      return o < 0 ? c : (to.value[o < o2m ? o : o2m] as string);
    }).join(''));
  }
  out.add({ value, tainted: taintOf(subject, from, to) });
};

/** `${readfile{path}{eol}}`: the file, each newline replaced by `eol` when given. */
const readfileItem: ItemHandler = (ex, name, skipping, out) => {
  const [path, eol] = ex.readSubs(2, 1, skipping, name) as [Expanded, Expanded | undefined];
  if (skipping) return;
  if (path.tainted) throw new ExpansionError(`Tainted arg 1 for readfile: '${path.value}'`);
  let data: ByteString;
  try {
    data = ex.ctx.readFile(path.value);
  } catch (e) {
    throw new ExpansionError(`failed to open ${path.value}: ${strerror(e)}`);
  }
  if (eol) data = joinBytes(splitBytes(data, '\n'), eol.value);
  out.add({ value: data, tainted: eol?.tainted === true });
};

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EPERM: 'Operation not permitted',
};

/** The C library's wording for a Node file error, as Exim's message would have it. */
function strerror(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  if (e instanceof FileTooLargeError) return `larger than the ${e.limit / (1024 * 1024)} MiB autoreply reads`;
  return e instanceof Error ? e.message : String(e);
}

/** `${env{NAME}{yes}{no}}`: `$value` is the variable's value inside `{yes}`. */
const envItem: ItemHandler = (ex, _name, skipping, out) => {
  const saved = ex.lookupValue;
  const key = ex.braced(skipping, () => curlyError("missing '{' for name arg of env"));
  const v = skipping ? undefined : ex.ctx.env(key.value);
  // The environment is outside the message, so it is not tainted.
  ex.lookupValue = v === undefined ? undefined : untainted(v);
  yesNo(ex, skipping, v !== undefined, saved, 'env', out);
};

/**
 * `${extract{N}{seps}{string}}` (numbered: N all digits, optional minus) or
 * `${extract{key}{string}}` (keyed `key=value` pairs), then optional {yes}{no}.
 */
const extractItem: ItemHandler = (ex, name, skipping, out) => {
  ex.scoped(() => {
    const saved = ex.lookupValue;
    if (skipping) {
      for (let j = 5; j > 0 && ex.skipWhite() === '{'; j--) {
        ex.pos++;
        ex.expand(true, true);
        ex.pos++;
      }
      if (ex.src.startsWith('fail', ex.pos) && /^[}\s]?$/.test(ex.src[ex.pos + 4] ?? '')) {
        ex.pos += 4;
        ex.skipWhite();
      }
      if (ex.cur() !== '}') throw curlyError("missing '}' closing extract");
      ex.lookupValue = undefined;
      yesNo(ex, true, false, saved, name, out);
      return;
    }
    const subs: Expanded[] = [];
    let field: number | undefined;
    for (let i = 0, j = 2; i < j; i++) {
      if (ex.skipWhite() !== '{') throw curlyError(`missing '{' for arg ${i + 1} of extract`);
      ex.pos++;
      let v = ex.expand(true, false);
      ex.pos++;
      if (i === 0) {
        v = { value: bytes(trimSpace(v.value)), tainted: v.tainted };
        if (v.value === '') throw new ExpansionError('first argument of "extract" must not be empty');
        if (/^-?[0-9]*$/.test(v.value)) {
          const neg = v.value.startsWith('-');
          field = (neg ? -1 : 1) * Number(v.value.replace('-', '') || '0');
          j = 3;
        }
      }
      subs.push(v);
    }
    if (field !== undefined) {
      const [, seps, str] = subs as [Expanded, Expanded, Expanded];
      const got = fieldOf(field, seps.value, str.value);
      ex.lookupValue = got === undefined ? undefined : { value: bytes(got), tainted: str.tainted };
    } else {
      const [key, str] = subs as [Expanded, Expanded];
      const got = keyedValue(key.value, str.value);
      ex.lookupValue = got === undefined ? undefined : { value: bytes(got), tainted: str.tainted };
    }
    yesNo(ex, false, ex.lookupValue !== undefined, saved, name, out);
  });
};

/** expand_gettokened(): field N (1-based; negative counts from the end; 0 is all). */
function fieldOf(field: number, seps: string, s: string): string | undefined {
  if (field === 0) return s;
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || seps.includes(s[i] as string)) {
      fields.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (field > 0) return fields[field - 1];
  return fields.length + field >= 0 ? fields[fields.length + field] : undefined;
}

/** expand_getkeyed(): `key = value` pairs, values optionally "quoted" with \ escapes. */
function keyedValue(key: string, s: string): string | undefined {
  let p = 0;
  const skip = (): void => {
    while (isSpace(s[p])) p++;
  };
  skip();
  while (p < s.length) {
    const k0 = p;
    while (p < s.length && s[p] !== '=' && !isSpace(s[p])) p++;
    const dkey = s.slice(k0, p);
    skip();
    if (s[p] === '=') {
      p++;
      skip();
    }
    let data = '';
    if (s[p] !== '"') {
      while (p < s.length && !isSpace(s[p])) data += s[p++];
    } else {
      p++;
      while (p < s.length && s[p] !== '"') {
        if (s[p] === '\\' && p + 1 < s.length) {
          data += s[++p];
        } else data += s[p];
        p++;
      }
      if (p < s.length) p++;
    }
    if (dkey.toLowerCase() === key.toLowerCase() && dkey.length === key.length) return data;
    skip();
  }
  return undefined;
}

/** `${listextract{N}{list}{yes}{no}}`: item N of an Exim list (negative from the end). */
const listextractItem: ItemHandler = (ex, name, skipping, out) => {
  ex.scoped(() => {
    const saved = ex.lookupValue;
    const subs: Expanded[] = [];
    for (let i = 0; i < 2; i++) {
      if (ex.skipWhite() !== '{') throw curlyError(`missing '{' for arg ${i + 1} of listextract`);
      ex.pos++;
      subs.push(ex.expand(true, skipping));
      ex.pos++;
    }
    const [n, list] = subs as [Expanded, Expanded];
    let value: Expanded | undefined;
    if (!skipping) {
      const t = trimSpace(n.value);
      if (t === '') throw new ExpansionError('first argument of "listextract" must not be empty');
      if (!/^-?[0-9]*$/.test(t)) throw new ExpansionError(`"${t}" is not a number (in "listextract" expansion)`);
      const field = (t.startsWith('-') ? -1 : 1) * Number(t.replace('-', '') || '0');
      const items = listItems(list.value);
      const idx = field > 0 ? field - 1 : field < 0 ? items.length + field : -1;
      const got = idx >= 0 ? items[idx] : undefined;
      value = got === undefined ? undefined : { value: bytes(got), tainted: list.tainted };
    }
    ex.lookupValue = value;
    yesNo(ex, skipping, value !== undefined, saved, name, out);
  });
};

export const ITEMS = new Map<string, ItemHandler>([
  ['if', ifItem],
  ['length', numericItem],
  ['substr', numericItem],
  ['hash', numericItem],
  ['nhash', numericItem],
  ['sg', sgItem],
  ['tr', trItem],
  ['readfile', readfileItem],
  ['env', envItem],
  ['extract', extractItem],
  ['listextract', listextractItem],
]);
