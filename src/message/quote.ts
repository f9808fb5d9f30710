import { simpleParser } from 'mailparser';

/**
 * mailparser, for `$message_text`, `$message_quote` and a reply file's `{quote}`
 * (see message-text.ts): a chunk of its own (dist/autoreply-quote.cjs), loaded
 * only by the deliveries that use them.
 *
 * `.text` is what a reader sees: the text/plain part, transfer encoding and
 * charset decoded (format=flowed joined), or, for a message with only an HTML
 * part, mailparser's conversion of it to text (html-to-text). It does no HTML
 * rendering of the text part, no link detection and no image links: we want the
 * text alone. The caller caps the input; a failure rejects and quotes nothing.
 */
export async function decodeMessageText(message: Buffer): Promise<string> {
  const parsed = await simpleParser(message, {
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  return typeof parsed.text === 'string' ? parsed.text : '';
}
