import type { Expanded } from './context.js';
import { ExpansionError } from './errors.js';
import type { Expander } from './expander.js';
import type { Out } from './out.js';

/**
 * process_yesno(): the `{yes}{no}` tail shared by `${if}`, `${extract}`,
 * `${env}` and `${listextract}`.
 * - No strings: `${if}` inserts "true" when true; the others insert `$value`.
 * - `{yes}` alone: inserted when true, nothing when false.
 * - `{yes}{no}` or `{yes} fail`: `fail` makes a false result a forced failure.
 * The branch not taken is expanded in skipping mode (syntax checked, nothing run).
 * `saved` is `$value` as it was before the item: it is restored after `{yes}`, so
 * `{no}` sees the outer value.
 */
export function yesNo(
  ex: Expander,
  skipping: boolean,
  yes: boolean,
  saved: Expanded | undefined,
  type: string,
  out: Out,
): void {
  const curly = (where: string): ExpansionError =>
    new ExpansionError(
      `curly-bracket problem in conditional yes/no parsing: ${where}\n remaining string is '${ex.src.slice(ex.pos)}'`,
    );
  if (ex.skipWhite() === '}') {
    if (!skipping) {
      if (type === 'if') {
        if (yes) out.text('true');
      } else if (yes && ex.lookupValue) out.add(ex.lookupValue);
    }
    if (type !== 'if') ex.lookupValue = saved;
    ex.pos++;
    return;
  }
  if (ex.cur() !== '{') throw curly("'yes' part did not start with '{'");
  ex.pos++;
  const sub1 = ex.expand(true, skipping || !yes);
  ex.pos++;
  if (yes && !skipping) out.add(sub1);
  ex.lookupValue = saved;
  if (ex.skipWhite() === '{') {
    ex.pos++;
    const sub2 = ex.expand(true, skipping || yes);
    ex.pos++;
    if (!yes && !skipping) out.add(sub2);
  } else if (ex.cur() !== '}') {
    const name = ex.readName('_');
    if (name === 'fail') {
      if (!yes && !skipping) {
        if (ex.skipWhite() !== '}') throw curly("did not close with '}' after forcedfail");
        throw new ExpansionError(`"${type}" failed and "fail" requested`, true);
      }
    } else {
      throw new ExpansionError(`syntax error in "${type}" item - "fail" expected`);
    }
  }
  if (ex.skipWhite() !== '}') throw curly("did not close with '}'");
  ex.pos++;
}
