import { realpathSync } from 'node:fs';
import { FileTooLargeError, readFileCapped } from '../../files.js';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { bytes, type ByteString, fromBuffer } from '../../bytes.js';
import { configError } from '../../errors.js';
import { splitHeaderBlock } from './header-block.js';
import { replyFileIdentity } from './identity.js';
import { bodyTree } from './mime-tree.js';
import { scanPlaceholders } from './placeholders.js';
import { describeProblem, type BodyNode, type Problem, type ReplyTemplate, type TemplateHeader, type Token } from './template.js';

/**
 * Reading a reply file and the files it includes: the only part of src/reply-file
 * that touches the file system. Includes are resolved here, once, so that what
 * is rendered later is a fixed template; values from the incoming message are
 * inserted only at rendering and never scanned again.
 *
 * Limits, so that a reply file cannot hang or flood a delivery:
 * - an include path is relative to the reply file's folder and may not leave it
 *   (no absolute path, no `..`, no symbolic link pointing outside);
 * - includes nest at most MAX_INCLUDE_DEPTH deep, and a file that includes itself
 *   (directly or not) is an "include loop";
 * - each file is at most MAX_FILE_BYTES, and all inclusions together at most
 *   MAX_TOTAL_INCLUDED bytes (a footer included 100 times at 8 levels would
 *   otherwise be 10^16 bytes).
 */

export const MAX_INCLUDE_DEPTH = 8;
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_TOTAL_INCLUDED = 4 * 1024 * 1024;

/** Control bytes that do not occur in text (tab, newline, form feed, CR and ESC do). */
const BINARY = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]/;

/** Load a reply file, or throw a configuration error (exit 78) naming file and line. */
export function loadReplyFile(path: string): ReplyTemplate {
  const r = checkReplyFile(path);
  if (r.problems.length > 0) throw configError(describeProblem(r.problems[0]!));
  return r.template!;
}

/** Load a reply file and report every problem found (for `autoreply check`). */
export function checkReplyFile(path: string): { template?: ReplyTemplate; problems: Problem[] } {
  const abs = resolve(path);
  const read = readText(abs, abs);
  if ('problem' in read) return { problems: [read.problem] };
  const problems: Problem[] = [];
  const { split, problems: splitProblems, partial } = splitHeaderBlock(read.text, abs, 1, true);
  problems.push(...splitProblems);

  const headers: TemplateHeader[] = [];
  for (const h of split?.headers ?? partial ?? []) {
    const scanned = scanPlaceholders(h.value, abs, h.line);
    problems.push(...scanned.problems);
    for (const t of scanned.tokens) {
      if (t.kind === 'all') problems.push({ file: t.file, line: t.line, message: '{*} (the whole message) can only be used in the body' });
      if (t.kind === 'include') problems.push({ file: t.file, line: t.line, message: '{include} can only be used in the body' });
      if (t.kind === 'quote') problems.push({ file: t.file, line: t.line, message: '{quote} can only be used in the body' });
    }
    if (h.name.toLowerCase() === 'auto-submitted' && /^\s*no\b/i.test(h.value)) {
      problems.push({ file: abs, line: h.line, message: 'an automatic reply must not say "Auto-Submitted: no" (RFC 3834)' });
    }
    headers.push({ name: h.name, tokens: scanned.tokens, line: h.line });
  }
  if (!split) return { problems: problems.sort((a, b) => a.line - b.line) };

  const tree = bodyTree(split.headers, split.body, split.bodyLine, abs);
  problems.push(...tree.problems);
  const includes = new Includes(dirname(realOr(abs)));
  const body = includes.resolveNode(tree.node, [realOr(abs)]);
  problems.push(...includes.problems);

  const mime = split.headers.some((h) => h.name.toLowerCase() === 'content-type');
  const template: ReplyTemplate = {
    path: abs,
    headers,
    body,
    mime,
    usesWholeMessage: hasWholeMessage(body),
    identity: replyFileIdentity(abs, read.bytes),
  };
  return { template, problems };
}

type Read = { text: ByteString; bytes: Buffer } | { problem: Problem };

/** A file's text with CRLF made LF and a UTF-8 byte order mark dropped; binary refused. */
function readText(abs: string, shown: string): Read {
  let raw: Buffer;
  try {
    raw = readFileCapped(abs, MAX_FILE_BYTES);
  } catch (err) {
    if (err instanceof FileTooLargeError) return { problem: { file: shown, line: 0, message: `is larger than ${MAX_FILE_BYTES} bytes` } };
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { problem: { file: shown, line: 0, message: `cannot be read (${code})` } };
  }
  let text = fromBuffer(raw).replace(/\r\n/g, '\n');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  const bad = BINARY.exec(text);
  if (bad) {
    const line = text.slice(0, bad.index).split('\n').length;
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { problem: { file: shown, line, message: `binary data (byte 0x${code}): a reply file must be text` } };
  }
  return { text: bytes(text), bytes: raw };
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Resolves `{include FILE}` tokens depth-first, collecting problems instead of stopping. */
class Includes {
  readonly problems: Problem[] = [];
  private total = 0;
  private readonly rootPrefix: string;

  constructor(private readonly root: string) {
    this.rootPrefix = root.endsWith(sep) ? root : root + sep;
  }

  resolveNode(node: BodyNode, chain: string[]): BodyNode {
    if (node.kind === 'literal') return node;
    if (node.kind === 'seq') return { kind: 'seq', items: node.items.map((n) => this.resolveNode(n, chain)) };
    return { ...node, tokens: this.resolveTokens(node.tokens, chain) };
  }

  private resolveTokens(tokens: Token[], chain: string[]): Token[] {
    const out: Token[] = [];
    for (const t of tokens) {
      if (t.kind !== 'include') out.push(t);
      else out.push(...this.include(t, chain));
    }
    return out;
  }

  private include(t: Token & { kind: 'include' }, chain: string[]): Token[] {
    const at = { file: t.file, line: t.line };
    const fail = (message: string): Token[] => {
      this.problems.push({ ...at, message });
      return [];
    };
    if (isAbsolute(t.path)) return fail(`{include ${t.path}}: the path must be relative to the reply file's folder`);
    if (t.path.split(/[\\/]/).includes('..')) return fail(`{include ${t.path}}: ".." may not leave the reply file's folder`);
    if (chain.length > MAX_INCLUDE_DEPTH) return fail(`{include ${t.path}}: includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
    const target = resolve(this.root, t.path);
    let real: string;
    try {
      real = realpathSync(target);
    } catch (err) {
      return fail(`{include ${t.path}}: cannot read ${target} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!real.startsWith(this.rootPrefix)) return fail(`{include ${t.path}}: ${target} leads outside the reply file's folder`);
    if (chain.includes(real)) return fail(`{include ${t.path}}: include loop (${[...chain, real].map(shortName(this.rootPrefix)).join(' -> ')})`);
    const read = readText(real, real);
    if ('problem' in read) {
      this.problems.push(read.problem.line === 0 ? { ...at, message: `{include ${t.path}}: ${real} ${read.problem.message}` } : read.problem);
      return [];
    }
    this.total += read.text.length;
    if (this.total > MAX_TOTAL_INCLUDED) return fail(`{include ${t.path}}: included files add up to more than ${MAX_TOTAL_INCLUDED} bytes`);
    const scanned = scanPlaceholders(read.text, real, 1);
    this.problems.push(...scanned.problems);
    return this.resolveTokens(scanned.tokens, [...chain, real]);
  }
}

const shortName = (prefix: string) => (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);

function hasWholeMessage(node: BodyNode): boolean {
  if (node.kind === 'literal') return false;
  if (node.kind === 'seq') return node.items.some(hasWholeMessage);
  return node.tokens.some((t) => t.kind === 'all');
}
