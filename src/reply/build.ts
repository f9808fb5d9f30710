import type { ByteString } from '../bytes.js';
import type { Reply, ReplyFields } from './reply.js';

/**
 * The reply's bytes in Exim's order (autoreply.c): From, Reply-To, To, Cc, Bcc,
 * Subject, In-Reply-To, References, Auto-Submitted, `headers`, an empty line, the
 * text (a newline added when it lacks one), the file, the returned message.
 */
export function buildReply(reply: Reply): ByteString {
  const f = reply.fields;
  let out = optionHeaderLines(f);
  out += reply.inReplyTo + reply.references;
  out += 'Auto-Submitted: auto-replied\n';
  out += reply.extraHeaders;
  if (f.headers !== undefined) out += `${f.headers}\n`;
  out += '\n';
  if (reply.text !== undefined) {
    out += reply.text;
    // Exim looks at the last character only; an empty text writes a lone newline
    if (!reply.text.endsWith('\n')) out += '\n';
  }
  if (reply.fileBody !== undefined) out += reply.fileBody;
  if (reply.returned !== undefined) out += reply.returned;
  return out;
}

/** The header options that are set, in Exim's order: From, Reply-To, To, Cc, Bcc, Subject. */
export function optionHeaderLines(f: ReplyFields): ByteString {
  let out = '';
  if (f.from !== undefined) out += `From: ${f.from}\n`;
  if (f.reply_to !== undefined) out += `Reply-To: ${f.reply_to}\n`;
  if (f.to !== undefined) out += `To: ${f.to}\n`;
  if (f.cc !== undefined) out += `Cc: ${f.cc}\n`;
  if (f.bcc !== undefined) out += `Bcc: ${f.bcc}\n`;
  if (f.subject !== undefined) out += `Subject: ${f.subject}\n`;
  return out;
}
