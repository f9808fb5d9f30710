import type { ByteString } from './bytes.js';
import { configError } from './errors.js';
import { mailboxPaths, readMailboxSwitch, type MailboxPaths } from './mailbox/mailbox.js';
import type { IncomingMessage } from './message/message.js';
import { buildReplyFileReply, mergeHeaders } from './reply-file/build.js';
import { loadReplyFile } from './reply-file/load.js';
import { renderBody, renderHeaders, type RenderedHeader } from './reply-file/render.js';
import type { ReplyTemplate } from './reply-file/template.js';
import { encodeHeaderValue } from './reply/mime.js';
import { encodeReplyFields } from './reply/mime-headers.js';
import { threadingHeaders } from './reply/references.js';
import type { ReplyFields } from './reply/reply.js';
import { returnedMessage } from './reply/return-message.js';
import type { Settings } from './settings.js';

/**
 * Where the reply's headers and body come from: Exim's options (the default), a
 * PEP reply file, or a Misfin mailbox's `.auto-reply`. Everything else — safety
 * rules, never_mail, the once database, submission, the log — is the one engine
 * in transport.ts, whichever it is.
 */
export type ReplySource =
  | { kind: 'options' }
  | { kind: 'reply-file'; template: ReplyTemplate }
  | { kind: 'mailbox'; paths: MailboxPaths; body: ByteString };

/**
 * Before stdin is read: load the reply file (we must know whether it uses `{*}`
 * to keep enough of the body). A broken file is reported only after the input
 * has been drained, so the error is returned rather than thrown.
 */
export function preloadReplyFile(settings: Settings): { template?: ReplyTemplate; error?: unknown } {
  if (settings.replyFile === undefined) return {};
  try {
    return { template: loadReplyFile(settings.replyFile) };
  } catch (error) {
    return { error };
  }
}

/** The source, or `off` for a mailbox without `.auto-reply`. */
export function replySource(settings: Settings, template: ReplyTemplate | undefined): ReplySource | { kind: 'off'; path: ByteString } {
  if (template) return { kind: 'reply-file', template };
  if (settings.mailbox !== undefined) {
    const paths = mailboxPaths(settings.mailbox);
    const body = readMailboxSwitch(paths);
    return body === undefined ? { kind: 'off', path: paths.body } : { kind: 'mailbox', paths, body };
  }
  return { kind: 'options' };
}

/** The reply file's header lines merged over the expanded options; the file's other lines apart. */
export function replyFileFields(template: ReplyTemplate, msg: IncomingMessage, options: ReplyFields): { fields: ReplyFields; others: RenderedHeader[] } {
  return mergeHeaders(options, renderHeaders(template, msg));
}

/** The bytes of a reply written from a reply file. */
export function replyFileBytes(
  settings: Settings,
  template: ReplyTemplate,
  msg: IncomingMessage,
  fields: ReplyFields,
  others: RenderedHeader[],
): ByteString {
  const o = settings.options;
  if (template.mime && o.return_message) {
    throw configError(`reply file ${template.path} is a MIME entity: return_message cannot add to it (put {*} in a part instead)`);
  }
  const threading = threadingHeaders(msg, false);
  return buildReplyFileReply({
    fields: encodeReplyFields(fields),
    others: others.map((h) => ({ name: h.name, value: encodeHeaderValue(h.name, h.value) })),
    inReplyTo: threading.inReplyTo,
    references: threading.references,
    extraHeaders: settings.rules.xLoop ? `X-Loop: ${settings.rules.xLoop}\n` : '',
    body: renderBody(template, msg, o.return_size_limit),
    mime: template.mime,
    ...(o.return_message ? { returned: returnedMessage(msg, o.return_size_limit) } : {}),
  });
}
