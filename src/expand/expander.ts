import type { ExpansionContext, Expanded, HeaderForm } from './context.js';
import { isAlnum, isAlpha, isDigit, isGraph, isSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import { interpretEscape } from './escapes.js';
import { Out, EMPTY } from './out.js';

/** An item handler (`${if ...}`, `${sg ...}`): reads its arguments and closing brace. */
export type ItemHandler = (ex: Expander, name: string, skipping: boolean, out: Out) => void;
/** An operator (`${lc:...}`): `arg` is what followed the first `_` of the name. */
export type OperatorHandler = (sub: Expanded, name: string, arg: string | undefined) => Expanded;

export interface Registry {
  items: Map<string, ItemHandler>;
  /** Exim item names we recognise but do not provide. */
  unsupportedItems: Set<string>;
  /** Looks up an operator by its full `${name:` name; undefined when unknown to Exim. */
  operator(name: string): { handler: OperatorHandler | undefined; arg: string | undefined } | undefined;
}

/**
 * The state of one expansion: Exim's expand_string_internal() walks the template
 * with a cursor, recursing for every `{...}` argument. `captures` are `$0..$n` from
 * the last successful regex match, `lookupValue` is `$value`.
 */
export class Expander {
  pos = 0;
  /** How deep the expansion is nested now (braced arguments, conditions); see MAX_NESTING. */
  depth = 0;
  captures: Expanded[] = [];
  lookupValue: Expanded | undefined;
  /** Set when a `$h_name` without its colon swallowed a `}` (improves the error). */
  malformedHeader = false;

  constructor(
    readonly src: string,
    readonly ctx: ExpansionContext,
    readonly registry: Registry,
  ) {}

  cur(): string | undefined {
    return this.src[this.pos];
  }

  /** Skips isspace() characters and returns the character now under the cursor. */
  skipWhite(): string | undefined {
    while (isSpace(this.src[this.pos])) this.pos++;
    return this.src[this.pos];
  }

  /** Exim's read_name(): letters, digits and the extra characters given. */
  readName(extra: string): string {
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string;
      if (isAlnum(c) || extra.includes(c)) this.pos++;
      else break;
    }
    return this.src.slice(start, this.pos);
  }

  /** Runs `fn` with `$0..$n` and `$value` restored afterwards, as Exim does around items. */
  scoped<T>(fn: () => T): T {
    const captures = this.captures;
    const value = this.lookupValue;
    try {
      return fn();
    } finally {
      this.captures = captures;
      this.lookupValue = value;
    }
  }

  /**
   * expand_string_internal(): expands from the cursor to the end of the template,
   * or, with `braceEnds`, to the next unescaped `}` (left under the cursor). In
   * `skipping` mode everything is parsed and checked the way Exim does, but nothing
   * with side effects or failure modes of its own (files, forced failures) runs.
   */
  expand(braceEnds: boolean, skipping: boolean): Expanded {
    return this.nested(() => this.expandHere(braceEnds, skipping));
  }

  /**
   * Runs one level of nesting. The expander recurses for every `{...}` and every
   * condition, so a string nested thousands of levels deep would exhaust the
   * stack; like a compiler, it refuses past a fixed depth instead. (Exim 4.96
   * has no such limit: its transport process crashes with a stack overflow
   * at about 3,000 levels, and the delivery is deferred.)
   */
  nested<T>(fn: () => T): T {
    if (++this.depth > MAX_NESTING) {
      this.depth = 0; // report once, without failing again on the way out
      throw new ExpansionError(`expansion nested more than ${MAX_NESTING} levels deep`, false, 'nesting');
    }
    try {
      return fn();
    } finally {
      if (this.depth > 0) this.depth--;
    }
  }

  private expandHere(braceEnds: boolean, skipping: boolean): Expanded {
    const out = new Out();
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos] as string;
      if (c === '\\') {
        this.escape(out);
        continue;
      }
      if (braceEnds && c === '}') return out.result();
      if (c !== '$') {
        let end = this.pos + 1;
        while (end < s.length && s[end] !== '$' && s[end] !== '}' && s[end] !== '\\') end++;
        out.text(s.slice(this.pos, end));
        this.pos = end;
        continue;
      }
      this.pos++;
      this.dollar(out, skipping);
    }
    if (braceEnds) {
      throw new ExpansionError(
        this.malformedHeader
          ? 'missing } at end of string - could be header name not terminated by colon'
          : 'missing } at end of string',
      );
    }
    return out.result();
  }

  /** Reads `{...}` at the cursor (after optional whitespace) and returns its expansion. */
  braced(skipping: boolean, missing: () => ExpansionError): Expanded {
    if (this.skipWhite() !== '{') throw missing();
    this.pos++;
    const v = this.expand(true, skipping);
    this.pos++; // the '}' expand() stopped at
    return v;
  }

  /** Requires the closing `}` of an item (after optional whitespace). */
  closeItem(name: string): void {
    if (this.skipWhite() !== '}') {
      if (this.src[this.pos + 1] === '}')
        throw new ExpansionError(`Too many arguments for '${name}'`);
      throw new ExpansionError(`missing '}' after '${name}'`);
    }
    this.pos++;
  }

  /**
   * read_subs(): up to `max` braced arguments, at least `min`, then (if `checkEnd`)
   * the item's closing brace.
   */
  readSubs(max: number, min: number, skipping: boolean, name: string, checkEnd = true): Expanded[] {
    const subs: Expanded[] = [];
    for (let i = 0; i < max; i++) {
      if (this.skipWhite() !== '{') {
        if (i < min) throw new ExpansionError(`Not enough arguments for '${name}' (min is ${min})`);
        break;
      }
      this.pos++;
      subs.push(this.expand(true, skipping));
      this.pos++;
    }
    if (checkEnd) {
      if (this.skipWhite() !== '}') {
        if (this.src[this.pos + 1] === '}' || this.src[this.pos] === '{')
          throw new ExpansionError(`Too many arguments for '${name}' (max is ${max})`);
        throw new ExpansionError(`missing '}' after '${name}'`);
      }
      this.pos++;
    }
    return subs;
  }

  /** A backslash in the template: `\N...\N` is copied verbatim, others are escapes. */
  private escape(out: Out): void {
    const s = this.src;
    if (this.pos + 1 >= s.length) throw new ExpansionError('\\ at end of string');
    if (s[this.pos + 1] === 'N') {
      const start = this.pos + 2;
      let end = s.indexOf('\\N', start);
      if (end < 0) end = s.length;
      out.text(s.slice(start, end));
      this.pos = Math.min(end + 2, s.length);
      return;
    }
    const { ch, last } = interpretEscape(s, this.pos);
    out.text(ch);
    this.pos = last + 1;
  }

  /** After a `$`: a variable, a header, a capture, or a `${...}` item/operator. */
  private dollar(out: Out, skipping: boolean): void {
    const s = this.src;
    if (isAlpha(s[this.pos])) {
      const name = this.readName('_');
      const form = headerForm(name);
      if (form) {
        const header = this.readHeaderName(name);
        if (form === 'list') throw unsupportedVariable(name);
        const v = this.ctx.header(header, form);
        if (v === undefined) {
          if (header.includes('}')) this.malformedHeader = true;
          return;
        }
        out.add(v);
        return;
      }
      const v = this.variable(name);
      if (v === undefined) throw new ExpansionError(`unknown variable name "${name}"`);
      out.add(v);
      return;
    }
    if (isDigit(s[this.pos])) {
      out.add(this.capture(this.readNumber()));
      return;
    }
    if (s[this.pos] !== '{') throw new ExpansionError('$ not followed by letter, digit, or {');
    this.pos++;
    if (isDigit(s[this.pos])) {
      const n = this.readNumber();
      if (s[this.pos] !== '}') throw new ExpansionError('} expected after number');
      this.pos++;
      out.add(this.capture(n));
      return;
    }
    if (!isAlpha(s[this.pos])) throw new ExpansionError('letter or digit expected after ${');
    // "-" is allowed so that ${substr_-3:...} reads as one name.
    const name = this.readName('_-');
    this.braceItem(name, out, skipping);
  }

  private braceItem(name: string, out: Out, skipping: boolean): void {
    const reg = this.registry;
    const item = reg.items.get(name);
    if (item) {
      item(this, name, skipping, out);
      return;
    }
    if (reg.unsupportedItems.has(name)) {
      throw new ExpansionError(`unsupported expansion item "\${${name}" (autoreply does not provide it)`);
    }
    const s = this.src;
    if (s[this.pos] === ':') {
      const op = reg.operator(name);
      this.pos++;
      const sub = this.expand(true, skipping);
      this.pos++;
      if (!op) throw new ExpansionError(`unknown expansion operator "${name}"`);
      if (skipping) return;
      if (!op.handler) {
        throw new ExpansionError(
          `unsupported expansion operator "\${${name}:" (autoreply does not provide it)`,
        );
      }
      out.add(op.handler(sub, name, op.arg));
      return;
    }
    if (s[this.pos] === '}') {
      this.pos++;
      const v = this.variable(name);
      if (v === undefined) throw new ExpansionError(`unknown variable in "\${${name}}"`);
      out.add(v);
      return;
    }
    throw new ExpansionError(
      `"\${${name}" is not a known operator (or a } is missing in a variable reference)`,
    );
  }

  /** `$value` is the expander's own; everything else comes from the context. */
  variable(name: string): Expanded | undefined {
    if (name === 'value') return this.lookupValue ?? EMPTY;
    return this.ctx.variable(name);
  }

  /**
   * read_header_name(): after `h_` (or `header_`, ...) the name runs over any
   * printable characters except colon; a colon ends it and is consumed, whitespace
   * or anything non-printable ends it and is kept. Returns the bare header name.
   */
  readHeaderName(prefixed: string): string {
    let name = prefixed.slice(prefixed.indexOf('_') + 1);
    const s = this.src;
    const start = this.pos;
    while (this.pos < s.length && isGraph(s[this.pos]) && s[this.pos] !== ':') this.pos++;
    name += s.slice(start, this.pos);
    if (s[this.pos] === ':') this.pos++;
    return name;
  }

  private readNumber(): number {
    const start = this.pos;
    while (isDigit(this.src[this.pos])) this.pos++;
    return Number(this.src.slice(start, this.pos));
  }

  /** Expands another (untainted) template with the same context, captures and `$value`. */
  reexpand(template: string): Expanded {
    const sub = new Expander(template, this.ctx, this.registry);
    sub.depth = this.depth;
    sub.captures = this.captures;
    sub.lookupValue = this.lookupValue;
    return sub.expand(false, false);
  }

  capture(n: number): Expanded {
    return this.captures[n] ?? EMPTY;
  }
}

/**
 * The deepest nesting of braces and conditions an expansion may have. Each level
 * costs about a dozen stack frames; 300 levels stay well inside Node's default
 * stack whatever the construct, and no real configuration comes near it.
 */
export const MAX_NESTING = 300;

/** Which header form a `$name` asks for, or undefined when it is not a header variable. */
export function headerForm(name: string): HeaderForm | 'list' | undefined {
  const m = /^(r|b|l)?h(?:eader)?_/.exec(name);
  if (!m) return undefined;
  switch (m[1]) {
    case 'r':
      return 'raw';
    case 'b':
      return 'bytes';
    case 'l':
      return 'list';
    default:
      return 'decoded';
  }
}

function unsupportedVariable(name: string): ExpansionError {
  return new ExpansionError(`unsupported header variable "$${name}" (autoreply does not provide $lh_)`);
}
