import { bytes, type ByteString, joinBytes, joinLines, trimChars } from '../../bytes.js';
import { findHeaders, isAddressHeader, type IncomingMessage } from '../../message/message.js';
import { headerValue } from '../../message/header-values.js';
import { messageTextOf, quoteLines } from '../../message/message-text.js';
import { MalformedReply } from '../../delivery/decision.js';
import type { BodyNode, ReplyTemplate, Token } from './template.js';

/**
 * The largest body a reply file may render to. A sender controls the values
 * inserted, and a file that names {subject} thousands of times would otherwise
 * multiply a 64 KiB subject into gigabytes; such a reply is not sent (rule
 * malformed).
 */
export const MAX_RENDERED = 16 * 1024 * 1024;

/**
 * Filling a loaded reply file in with the incoming message (pure). Every value
 * is inserted once, as data: the result is never scanned for placeholders again,
 * so a sender who writes `{include ...}` or `{*}` in a subject gets exactly that
 * text back, nothing more.
 *
 * How a value is inserted depends on where:
 * - header lines: folded lines joined (a value can never start a header line of
 *   its own), control characters made spaces; in address headers (To, Cc, ...)
 *   the value as received, so that `To: {from}` keeps a display name's encoded
 *   words intact instead of decoding a comma into a second address;
 * - body: the decoded value (RFC 2047 words to UTF-8), as written;
 * - text/html parts: the same, HTML-escaped;
 * - inside a multipart, a line of a value that looks like one of the enclosing
 *   MIME delimiters gets a leading space, so a message cannot break the reply's
 *   structure.
 */

export interface RenderedHeader {
  name: string;
  value: ByteString;
}

/** The reply file's header lines with their placeholders filled in. */
export function renderHeaders(template: ReplyTemplate, msg: IncomingMessage): RenderedHeader[] {
  return template.headers.map((h) => {
    const address = isAddressHeader(h.name);
    const value = joinBytes(
      h.tokens.map((t) => {
        if (t.kind === 'text') return t.text;
        if (t.kind !== 'header') return bytes('');
        const v = address ? rawAddressValue(msg, t.name) : (headerValue(msg, t.name, 'decoded') ?? bytes(''));
        return oneLine(v);
      }),
    );
    return { name: h.name, value };
  });
}

/** The body with its placeholders filled in; `{*}` keeps at most `limit` body bytes (0 = all kept). */
export function renderBody(template: ReplyTemplate, msg: IncomingMessage, limit: number): ByteString {
  const budget = { left: MAX_RENDERED };
  return renderNode(template.body, msg, limit, budget);
}

function renderNode(node: BodyNode, msg: IncomingMessage, limit: number, budget: { left: number }): ByteString {
  if (node.kind === 'literal') return spend(node.text, budget);
  if (node.kind === 'seq') return joinBytes(node.items.map((n) => renderNode(n, msg, limit, budget)));
  return joinBytes(node.tokens.map((t) => spend(renderToken(t, msg, limit, node.html, node.boundaries), budget)));
}

function spend(text: ByteString, budget: { left: number }): ByteString {
  budget.left -= text.length;
  if (budget.left < 0) throw new MalformedReply(`the reply file's body would be larger than ${MAX_RENDERED / 1024 / 1024} MiB once filled in`);
  return text;
}

function renderToken(t: Token, msg: IncomingMessage, limit: number, html: boolean, boundaries: string[]): ByteString {
  if (t.kind === 'text') return t.text;
  let value: ByteString;
  if (t.kind === 'header') value = headerValue(msg, t.name, 'decoded') ?? bytes('');
  else if (t.kind === 'all') value = wholeMessage(msg, limit);
  // decoded before rendering by the delivery (the template says it quotes: quotesMessage)
  else if (t.kind === 'quote') value = quoteLines(messageTextOf(msg), t.lines);
  else return bytes(''); // includes are resolved at load time
  if (html) value = escapeHtml(value);
  for (const b of boundaries) value = bytes(value.replace(new RegExp(`^--${escapeRegExp(b)}`, 'gm'), ' $&'));
  return value;
}

/** Whether the body has a `{quote}`: the delivery then decodes the message's text first. */
export function quotesMessage(template: ReplyTemplate): boolean {
  const has = (node: BodyNode): boolean =>
    node.kind === 'literal' ? false : node.kind === 'seq' ? node.items.some(has) : node.tokens.some((t) => t.kind === 'quote');
  return has(template.body);
}

/** `{*}`: the headers as received, an empty line, the body — cut at `limit` with a note. */
export function wholeMessage(msg: IncomingMessage, limit: number): ByteString {
  let body: string = msg.bodyKept;
  let note = '';
  if (limit > 0 && msg.bodySize > limit) {
    body = body.slice(0, limit);
    if (!body.endsWith('\n')) body += '\n';
    note = `[... the body of the message is ${msg.bodySize} bytes long; only the first ${limit} are included]\n`;
  }
  return bytes(`${msg.headerBlock}\n${body}${note}`);
}

/** Every instance of an address header, as received, joined into one list. */
function rawAddressValue(msg: IncomingMessage, name: string): ByteString {
  return joinBytes(
    findHeaders(msg, name)
      .map((h) => trimChars(h.raw))
      .filter((v) => v !== ''),
    ', ',
  );
}

/** Folded lines joined, control characters (tab aside) made spaces, trimmed. */
function oneLine(v: ByteString): ByteString {
  return trimChars(bytes(joinLines(v).replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ')));
}

function escapeHtml(s: ByteString): ByteString {
  return bytes(s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
