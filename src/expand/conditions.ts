import type { Expanded } from './context.js';
import { byteCompare, byteCompareIc, isAlpha, trimSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import type { Expander } from './expander.js';
import { headerForm } from './expander.js';
import { listItems } from './lists.js';
import { eximInteger } from './numbers.js';
import { compileRegex, matchCaptures } from './regex.js';
import { bytes } from '../bytes.js';

/** Exim conditions we recognise but do not provide (they need a running MTA). */
const UNSUPPORTED = new Set([
  'acl', 'crypteq', 'first_delivery', 'forall', 'forall_json', 'forall_jsons', 'forany',
  'forany_json', 'forany_jsons', 'inbound_srs', 'isip', 'isip4', 'isip6', 'ldapauth',
  'match_address', 'match_domain', 'match_ip', 'match_local_part', 'pam', 'pwcheck',
  'queue_running', 'radius', 'saslauthd',
]);

const TWO_ARG = new Set([
  '<', '<=', '=', '==', '>', '>=', 'eq', 'eqi', 'lt', 'lti', 'le', 'lei', 'gt', 'gti', 'ge', 'gei',
  'match', 'inlist', 'inlisti',
]);

/**
 * eval_condition(): parses one condition at the cursor and, unless `skipping`,
 * evaluates it. When skipping the result is meaningless (false) but the syntax is
 * still checked, and nothing that could fail at run time is done.
 */
export function evalCondition(ex: Expander, skipping: boolean): boolean {
  return ex.nested(() => evalHere(ex, skipping));
}

function evalHere(ex: Expander, skipping: boolean): boolean {
  let testfor = true;
  while (ex.skipWhite() === '!') {
    testfor = !testfor;
    ex.pos++;
  }
  const name = readConditionName(ex);
  if (name === '') {
    throw new ExpansionError(`condition name expected, but found "${ex.src.slice(ex.pos, ex.pos + 16)}"`);
  }
  if (name === 'def') return defCondition(ex, skipping) === testfor && !skipping;
  if (name === 'and' || name === 'or') return combined(ex, name, skipping, testfor);
  if (name === 'bool' || name === 'bool_lax') {
    if (ex.skipWhite() !== '{') throw new ExpansionError(`missing { after "${name}"`);
    const [arg] = ex.readSubs(1, 1, skipping, name, false);
    const v = boolValue(trimSpace((arg as Expanded).value), name === 'bool_lax');
    return !skipping && v === testfor;
  }
  if (name === 'exists') {
    const path = ex.braced(skipping, () => new ExpansionError(`missing { after "${name}"`));
    if (skipping) return false;
    return ex.ctx.fileExists(path.value) === testfor;
  }
  if (TWO_ARG.has(name)) {
    const a = condArg(ex, name, 0, skipping);
    const b = condArg(ex, name, 1, skipping);
    if (skipping) return false;
    return twoArg(ex, name, a, b) === testfor;
  }
  if (UNSUPPORTED.has(name)) {
    throw new ExpansionError(`unsupported expansion condition "${name}" (autoreply does not provide it)`);
  }
  throw new ExpansionError(`unknown condition "${name}"`);
}

/** identify_operator(): a word, or a run of symbols such as `<=`. */
function readConditionName(ex: Expander): string {
  if (isAlpha(ex.cur())) return ex.readName('_');
  const start = ex.pos;
  while (ex.pos < ex.src.length && '<=>'.includes(ex.src[ex.pos] as string)) ex.pos++;
  return ex.src.slice(start, ex.pos);
}

function condArg(ex: Expander, name: string, i: number, skipping: boolean): Expanded {
  if (ex.skipWhite() !== '{') {
    throw new ExpansionError(i === 0 ? `missing { after "${name}"` : `missing 2nd string in {} after "${name}"`);
  }
  ex.pos++;
  const v = ex.expand(true, skipping);
  ex.pos++;
  return v;
}

function twoArg(ex: Expander, name: string, a: Expanded, b: Expanded): boolean {
  const x = a.value;
  const y = b.value;
  if (!isAlpha(name[0])) {
    // Numeric comparisons: Exim integers (K/M/G suffixes), blank = 0.
    const m = eximInteger(x);
    const n = eximInteger(y);
    switch (name) {
      case '<':
        return m < n;
      case '<=':
        return m <= n;
      case '>':
        return m > n;
      case '>=':
        return m >= n;
      default:
        return m === n;
    }
  }
  switch (name) {
    case 'eq':
      return x === y;
    case 'eqi':
      return byteCompareIc(x, y) === 0;
    case 'lt':
      return byteCompare(x, y) < 0;
    case 'lti':
      return byteCompareIc(x, y) < 0;
    case 'le':
      return byteCompare(x, y) <= 0;
    case 'lei':
      return byteCompareIc(x, y) <= 0;
    case 'gt':
      return byteCompare(x, y) > 0;
    case 'gti':
      return byteCompareIc(x, y) > 0;
    case 'ge':
      return byteCompare(x, y) >= 0;
    case 'gei':
      return byteCompareIc(x, y) >= 0;
    case 'inlist':
    case 'inlisti': {
      // Like Exim, the matching list item becomes $value (inside the if's strings).
      const hit = listItems(y).find((item) => (name === 'inlist' ? item === x : byteCompareIc(item, x) === 0));
      if (hit === undefined) return false;
      ex.lookupValue = { value: bytes(hit), tainted: b.tainted };
      return true;
    }
    case 'match': {
      // A successful match sets $0..$n for the rest of the enclosing item.
      const caps = matchCaptures(compileRegex(y), a);
      if (!caps) return false;
      ex.captures = caps;
      return true;
    }
    default:
      throw new ExpansionError(`unknown condition "${name}"`);
  }
}

/** `def:name` (variable non-empty) or `def:h_name:` (header present). */
function defCondition(ex: Expander, skipping: boolean): boolean {
  if (ex.cur() !== ':') throw new ExpansionError('":" expected after "def"');
  ex.pos++;
  const name = ex.readName('_');
  const form = headerForm(name);
  if (form) {
    const header = ex.readHeaderName(name);
    if (header.includes('}')) ex.malformedHeader = true;
    if (skipping) return false;
    // Presence only: for this the form does not matter.
    return ex.ctx.header(header, 'raw') !== undefined;
  }
  const v = ex.variable(name);
  if (v === undefined) {
    throw new ExpansionError(
      name === '' ? 'variable name omitted after "def:"' : `unknown variable "${name}" after "def:"`,
    );
  }
  return v.value !== '';
}

/** `and{{c1}{c2}...}` / `or{...}`: later conditions are only parsed once the answer is known. */
function combined(ex: Expander, name: string, skipping: boolean, testfor: boolean): boolean {
  if (ex.skipWhite() !== '{') throw new ExpansionError(`missing { after "${name}"`);
  ex.pos++;
  let result = name === 'and';
  let decided = skipping;
  for (;;) {
    const c = ex.skipWhite();
    if (c === '}') break;
    if (c !== '{') {
      throw new ExpansionError(
        `each subcondition inside an "${name}{...}" condition must be in its own {}`,
      );
    }
    ex.pos++;
    let v: boolean;
    try {
      v = evalCondition(ex, decided);
    } catch (e) {
      // Exim names the group a failure happened in (once: a nesting failure is named by the limit)
      if (e instanceof ExpansionError && e.kind === undefined) {
        throw new ExpansionError(`${e.message} inside "${name}{...}" condition`, e.forced);
      }
      throw e;
    }
    if (ex.skipWhite() !== '}') throw new ExpansionError(`missing } at end of condition inside "${name}" group`);
    ex.pos++;
    if (!decided) {
      if (name === 'and') {
        result = result && v;
        if (!result) decided = true;
      } else {
        result = result || v;
        if (result) decided = true;
      }
    }
  }
  ex.pos++;
  return !skipping && result === testfor;
}

/** The `bool` / `bool_lax` reading of a trimmed string. */
function boolValue(t: string, lax: boolean): boolean {
  if (t === '') return false;
  const numeric = t[0] === '-' ? /^-[0-9]*$/.test(t) : /^[0-9]+$/.test(t);
  if (numeric) {
    // atoi(): "-" alone is 0.
    const v = Number.parseInt(t, 10);
    if (lax && t.length > 1) return true;
    return !(Number.isNaN(v) || v === 0);
  }
  const lower = t.toLowerCase();
  if (lower === 'true' || lower === 'yes') return true;
  if (lower === 'false' || lower === 'no') return false;
  if (lax) return true;
  throw new ExpansionError(`unrecognised boolean value "${t}"`);
}
