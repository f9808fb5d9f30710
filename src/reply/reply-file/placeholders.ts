import { bytes, type ByteString } from '../../bytes.js';
import { MAX_QUOTE_LINES, QUOTE_LINES } from '../../message/message-text.js';
import type { Problem, Token } from './template.js';

/**
 * Scanning a piece of reply file text for placeholders (pure):
 *   {name}          the value of header `name` of the incoming message
 *   {*}             the whole incoming message
 *   {include FILE}  the contents of FILE
 *   {quote}         the first 20 lines of the message's text, each as "> line";
 *   {quote N}       the first N (see message/message-text.ts); any case, so a
 *                   header named "Quote" is not reachable as a placeholder
 *   \{  \\          a literal `{` and `\`; any other backslash is itself
 *
 * A `{` that does not start one of these (CSS `p { margin: 0 }`, JSON, a `{` at
 * the end of a line) is kept as it is — PEP replaces "a word enclosed in curly
 * braces", nothing else. Only a `{` followed by a placeholder that never gets its
 * `}` before the end of the line is an error: that is almost always a typo.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\}/;
const INCLUDE = /^include[ \t]+([^}\n]*)\}/;
/** `{quote}` or `{quote N}`; `{quote me on this}` is not a placeholder (it stays as written). */
const QUOTE = /^quote(?:[ \t]+([0-9]+))?[ \t]*\}/i;
/** A placeholder cut off by the end of the line: `{subject`, `{include foot.txt`, `{*`. */
const UNTERMINATED = /^(\*|include(?:[ \t][^}\n]*)?|[A-Za-z0-9][A-Za-z0-9_.-]*)$/;

export function scanPlaceholders(text: ByteString, file: string, firstLine: number): { tokens: Token[]; problems: Problem[] } {
  const tokens: Token[] = [];
  const problems: Problem[] = [];
  let literal = '';
  let line = firstLine;
  const flush = () => {
    if (literal !== '') tokens.push({ kind: 'text', text: bytes(literal) });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      literal += c;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '{' || text[i + 1] === '\\')) {
      literal += text[++i];
      continue;
    }
    if (c !== '{') {
      literal += c;
      continue;
    }
    const eol = text.indexOf('\n', i);
    const rest = text.slice(i + 1, eol === -1 ? text.length : eol);
    const at = { file, line };
    if (rest.startsWith('*}')) {
      flush();
      tokens.push({ kind: 'all', ...at });
      i += 2;
      continue;
    }
    const inc = INCLUDE.exec(rest);
    if (inc) {
      flush();
      const path = inc[1]!.trim();
      if (path === '') problems.push({ ...at, message: '{include} needs a file name: {include FILE}' });
      else tokens.push({ kind: 'include', path, ...at });
      i += inc[0].length;
      continue;
    }
    const quote = QUOTE.exec(rest);
    if (quote) {
      flush();
      const n = quote[1];
      const lines = n === undefined ? QUOTE_LINES : n.length > 6 ? Infinity : Number(n);
      if (lines < 1 || lines > MAX_QUOTE_LINES) problems.push({ ...at, message: `{quote N} takes a number of lines from 1 to ${MAX_QUOTE_LINES}, not ${n}` });
      else tokens.push({ kind: 'quote', lines, ...at });
      i += quote[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      flush();
      const n = name[0].slice(0, -1);
      if (n.toLowerCase() === 'include') problems.push({ ...at, message: '{include} needs a file name: {include FILE}' });
      else tokens.push({ kind: 'header', name: n, ...at });
      i += name[0].length;
      continue;
    }
    const cut = rest.replace(/[ \t\r]+$/, '');
    if (UNTERMINATED.test(cut) || /^quote[ \t]+[0-9]+$/i.test(cut)) {
      problems.push({ ...at, message: `unterminated "{${rest.trim()}": a placeholder ends with "}" on the same line (write \\{ for a literal brace)` });
      literal += c + rest; // keep going to report further problems
      i += rest.length;
      continue;
    }
    literal += c;
  }
  flush();
  return { tokens, problems };
}
