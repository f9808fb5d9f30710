import { bytes, type ByteString } from '../../bytes.js';
import type { Problem } from './template.js';

/**
 * Splitting a reply file (or a MIME part of one) into its header lines and its
 * body (pure). The first empty line ends the header block; a line that is neither
 * `Name: value` nor a continuation (leading space or tab) before it is an error,
 * and so is a header block that never ends — both usually mean a forgotten empty
 * line between the headers and the body.
 */

export interface RawHeader {
  name: string;
  /** The value after the colon and its leading blanks; continuation lines kept, no final newline. */
  value: ByteString;
  line: number;
}

export interface Split {
  headers: RawHeader[];
  body: ByteString;
  /** Line number of the body's first line. */
  bodyLine: number;
}

const HEADER = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/;

/**
 * `strict`: a reply file, where the header block must end with an empty line.
 * Not strict: a MIME part, which may have no header block at all (RFC 2046: a
 * part starting with an empty line, or with its body, is text/plain).
 */
export function splitHeaderBlock(
  text: ByteString,
  file: string,
  firstLine: number,
  strict: boolean,
): { split?: Split; problems: Problem[]; /** what was read before a problem, for further checks */ partial?: RawHeader[] } {
  const headers: RawHeader[] = [];
  let pos = 0;
  let line = firstLine;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    const content = text.slice(pos, end);
    const next = nl === -1 ? text.length : nl + 1;
    if (content === '') {
      return { split: { headers, body: bytes(text.slice(next)), bodyLine: line + 1 }, problems: [] };
    }
    const last = headers[headers.length - 1];
    if ((content[0] === ' ' || content[0] === '\t') && last) {
      last.value = bytes(last.value + '\n' + content);
    } else {
      const m = HEADER.exec(content);
      if (!m) {
        if (!strict && headers.length === 0) return { split: { headers, body: text, bodyLine: firstLine }, problems: [] };
        const shown = content.length > 40 ? `${content.slice(0, 40)}...` : content;
        return {
          partial: headers,
          problems: [
            {
              file,
              line,
              message:
                `"${shown}" is not a header line: the headers end at the first empty line` +
                (headers.length === 0 ? ' (start the file with an empty line for a reply without headers)' : ' (is the empty line before the body missing?)'),
            },
          ],
        };
      }
      headers.push({ name: m[1]!, value: bytes(m[2]!), line });
    }
    pos = next;
    line++;
  }
  if (!strict) return { split: { headers, body: bytes(''), bodyLine: line }, problems: [] };
  return {
    partial: headers,
    problems: [{ file, line: Math.max(firstLine, line - 1), message: 'the header block is not followed by an empty line and a body (add an empty line after the last header)' }],
  };
}

/** The first header of that name (case-insensitive), or undefined. */
export function findRaw(headers: RawHeader[], name: string): RawHeader | undefined {
  const lc = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lc);
}
