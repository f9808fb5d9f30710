import type { ByteString } from '../../bytes.js';

/**
 * A PEP-style reply file, parsed: header lines, an empty line, the body. The body
 * may be a whole MIME entity (multipart/alternative with a text and an HTML part,
 * as RFC 5230 `:mime` allows); its structure is kept as written and only the
 * leaf parts that are plain text (7bit/8bit) are scanned for placeholders.
 */

/** Where a template piece came from, for error messages naming file and line. */
export interface Origin {
  file: string;
  line: number;
}

/** One piece of a template after scanning for placeholders. */
export type Token =
  | { kind: 'text'; text: ByteString }
  /** `{name}`: the value of that header of the incoming message. */
  | ({ kind: 'header'; name: string } & Origin)
  /** `{*}`: the whole incoming message. */
  | ({ kind: 'all' } & Origin)
  /** `{quote}`, `{quote N}`: the first `lines` lines of the message's text, quoted with "> " (body only). */
  | ({ kind: 'quote'; lines: number } & Origin)
  /** `{include FILE}`: replaced by that file's contents at load time. */
  | ({ kind: 'include'; path: string } & Origin);

/** A problem in a reply file (or a file it includes). */
export interface Problem extends Origin {
  message: string;
}

/** One header line of the reply file: its name and value, scanned for placeholders. */
export interface TemplateHeader {
  name: string;
  tokens: Token[];
  line: number;
}

/**
 * The body as a tree that is rendered by concatenation: literal bytes (MIME
 * delimiters, part headers, preamble and epilogue, base64 parts) are copied as
 * written; leaves are templates.
 */
export type BodyNode =
  | { kind: 'literal'; text: ByteString }
  | {
      kind: 'leaf';
      tokens: Token[];
      /** A text/html part: values from the message are HTML-escaped. */
      html: boolean;
      /** Boundaries of the enclosing multiparts: inserted values may not fake one. */
      boundaries: string[];
    }
  | { kind: 'seq'; items: BodyNode[] };

export interface ReplyTemplate {
  /** Absolute path of the reply file. */
  path: string;
  headers: TemplateHeader[];
  body: BodyNode;
  /** The reply file sets Content-Type: its body is a MIME entity, kept as written. */
  mime: boolean;
  /** `{*}` occurs somewhere: the transport keeps more of the incoming body. */
  usesWholeMessage: boolean;
  /** The reply's identity in the once database (see identity.ts). */
  identity: string;
}

/** `reply file FILE, line N: message`, the form every reply file error takes (no line for a whole-file problem). */
export function describeProblem(p: Problem): string {
  return p.line > 0 ? `reply file ${p.file}, line ${p.line}: ${p.message}` : `reply file ${p.file}: ${p.message}`;
}
