import { bytes, type ByteString } from '../../bytes.js';
import { findRaw, splitHeaderBlock, type RawHeader } from './header-block.js';
import { scanPlaceholders } from './placeholders.js';
import type { BodyNode, Problem } from './template.js';

/**
 * The body of a reply file as a MIME tree (pure). A multipart body is cut at its
 * delimiter lines; the preamble, the delimiters, each part's header block and the
 * epilogue are literal bytes, so the structure the author wrote is exactly what
 * goes out. Leaf parts in 7bit/8bit (or without a Content-Transfer-Encoding) are
 * templates; base64 and quoted-printable parts are copied untouched, because a
 * value inserted into encoded text would corrupt it.
 */

const MAX_DEPTH = 10;

interface ContentType {
  type: string;
  boundary?: string;
}

/** `type/subtype; boundary="..."` — just the two things this module needs. */
export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { type: 'text/plain' };
  const unfolded = value.replace(/\n[ \t]*/g, ' ');
  const type = (/^\s*([^;\s]+)/.exec(unfolded)?.[1] ?? 'text/plain').toLowerCase();
  const b = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(unfolded);
  const boundary = b ? (b[1] !== undefined ? b[1].replace(/\\(.)/g, '$1') : b[2]) : undefined;
  return boundary !== undefined ? { type, boundary } : { type };
}

export function bodyTree(headers: RawHeader[], body: ByteString, bodyLine: number, file: string): { node: BodyNode; problems: Problem[] } {
  return entity(headers, body, bodyLine, file, [], 0, headers.length > 0 ? headers[0]!.line : bodyLine);
}

function entity(
  headers: RawHeader[],
  body: ByteString,
  bodyLine: number,
  file: string,
  boundaries: string[],
  depth: number,
  headerLine: number,
): { node: BodyNode; problems: Problem[] } {
  const ctHeader = findRaw(headers, 'content-type');
  const ct = parseContentType(ctHeader?.value);
  const cte = (findRaw(headers, 'content-transfer-encoding')?.value ?? '7bit').trim().toLowerCase();
  if (ct.type.startsWith('multipart/')) {
    const at = { file, line: ctHeader?.line ?? headerLine };
    if (depth >= MAX_DEPTH) return { node: { kind: 'literal', text: body }, problems: [{ ...at, message: `MIME parts nested more than ${MAX_DEPTH} deep` }] };
    if (ct.boundary === undefined || ct.boundary === '') {
      return { node: { kind: 'literal', text: body }, problems: [{ ...at, message: `${ct.type} without a boundary parameter` }] };
    }
    return multipart(body, bodyLine, file, ct.boundary, [...boundaries, ct.boundary], depth, at.line);
  }
  if (cte === 'base64' || cte === 'quoted-printable') return { node: { kind: 'literal', text: body }, problems: [] };
  const { tokens, problems } = scanPlaceholders(body, file, bodyLine);
  return { node: { kind: 'leaf', tokens, html: ct.type === 'text/html', boundaries }, problems };
}

function multipart(
  body: ByteString,
  bodyLine: number,
  file: string,
  boundary: string,
  boundaries: string[],
  depth: number,
  ctLine: number,
): { node: BodyNode; problems: Problem[] } {
  const items: BodyNode[] = [];
  const problems: Problem[] = [];
  const lines = body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const delimiter = `--${boundary}`;
  let literal = '';
  let part: { text: string; line: number } | undefined; // pieces of the byte string body
  let closed = false;
  let parts = 0;
  let line = bodyLine;
  const endPart = () => {
    if (!part) return;
    // the newline before a delimiter belongs to the delimiter (RFC 2046 5.1.1)
    const text = part.text.endsWith('\n') ? part.text.slice(0, -1) : part.text;
    const tail = part.text.endsWith('\n') ? '\n' : '';
    const r = mimePart(bytes(text), part.line, file, boundaries, depth);
    items.push(r.node);
    problems.push(...r.problems);
    literal = tail;
    part = undefined;
  };
  for (const l of lines) {
    const bare = l.replace(/[ \t]*\n?$/, '');
    if (!closed && (bare === delimiter || bare === `${delimiter}--`)) {
      endPart();
      literal += l;
      if (bare === delimiter) {
        items.push({ kind: 'literal', text: bytes(literal) });
        literal = '';
        part = { text: '', line: line + 1 };
        parts++;
      } else {
        closed = true;
      }
    } else if (part) {
      part.text += l;
    } else {
      literal += l;
    }
    line++;
  }
  if (!closed) {
    endPart();
    problems.push({ file, line: ctLine, message: `the multipart body has no closing "${delimiter}--" line` });
  }
  if (parts === 0) problems.push({ file, line: ctLine, message: `the multipart body has no "${delimiter}" line` });
  if (literal !== '') items.push({ kind: 'literal', text: bytes(literal) });
  return { node: { kind: 'seq', items }, problems };
}

/** One part: its header block literal, its body a tree of its own. */
function mimePart(text: ByteString, line: number, file: string, boundaries: string[], depth: number): { node: BodyNode; problems: Problem[] } {
  const { split, problems } = splitHeaderBlock(text, file, line, false);
  if (!split) return { node: { kind: 'literal', text }, problems };
  const headText = bytes(text.slice(0, text.length - split.body.length));
  const inner = entity(split.headers, split.body, split.bodyLine, file, boundaries, depth + 1, line);
  return { node: { kind: 'seq', items: [{ kind: 'literal', text: headText }, inner.node] }, problems: inner.problems };
}
