/**
 * Exim-compatible string expansion (Exim 4.96 semantics, see SPEC section 4).
 *
 *   expand('Re: $h_subject:', ctx)  ->  { value: 'Re: hello', tainted: true }
 *
 * Message data is inserted once and never expanded again; `tainted` says whether
 * any of it reached the result. Failures throw ExpansionError with Exim's wording;
 * the caller adds `Expansion of "<template>" failed in reply transport: `.
 */
import type { ByteString } from '../bytes.js';
import type { ExpansionContext, Expanded } from './context.js';
import { ExpansionError } from './errors.js';
import { Expander, type Registry } from './expander.js';
import { ITEMS, UNSUPPORTED_ITEMS } from './items.js';
import { lookupOperator } from './operators.js';

export { ExpansionError } from './errors.js';
export type { ExpansionContext, Expanded, HeaderForm } from './context.js';
export { listItems } from './lists.js';
export { compileRegex } from './regex.js';

const REGISTRY: Registry = {
  items: ITEMS,
  unsupportedItems: UNSUPPORTED_ITEMS,
  operator: lookupOperator,
};

/** Expands an Exim expansion string against the context. Throws ExpansionError. */
export function expand(template: ByteString, ctx: ExpansionContext): Expanded {
  try {
    return new Expander(template, ctx, REGISTRY).expand(false, false);
  } catch (err) {
    // MAX_NESTING should keep the stack safe; should a construct still exhaust
    // it, the answer is the same clear refusal, not a crash
    if (err instanceof RangeError) throw new ExpansionError('expansion nested too deeply', false, 'nesting');
    throw err;
  }
}
