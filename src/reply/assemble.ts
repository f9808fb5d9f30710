import { toBuffer, type ByteString } from '../bytes.js';
import { configError, tempError } from '../errors.js';
import { FileTooLargeError, readFileCapped } from '../read-file.js';
import { expand } from '../expand/index.js';
import type { ExpansionContext } from '../expand/context.js';
import type { IncomingMessage } from '../message/message.js';
import type { Expanded } from '../options/expand-options.js';
import type { Settings } from '../settings.js';
import { buildReply } from './build.js';
import { encodeReplyFields, mimeHeaders } from './mime-headers.js';
import { threadingHeaders } from './references.js';
import type { Reply } from './reply.js';
import { returnedMessage } from './return-message.js';

/** The reply's bytes; reads `file` (a missing one defers unless file_optional). */
export function buildReplyBytes(settings: Settings, msg: IncomingMessage, x: Expanded, ctx: ExpansionContext, mailboxBody?: ByteString): ByteString {
  const o = settings.options;
  const threading = threadingHeaders(msg, settings.eximStrict);
  const reply: Reply = {
    fields: settings.eximStrict ? x.fields : encodeReplyFields(x.fields),
    inReplyTo: threading.inReplyTo,
    references: threading.references,
    extraHeaders: '',
  };
  if (x.text !== undefined) reply.text = x.text;
  if (x.file !== undefined) {
    const body = readBodyFile(x.file, o.file_optional);
    if (body !== undefined) reply.fileBody = o.file_expand ? expandLines(body, ctx) : body;
  }
  if (mailboxBody !== undefined) reply.fileBody = mailboxBody;
  if (o.return_message) reply.returned = returnedMessage(msg, o.return_size_limit);
  if (!settings.eximStrict) {
    if (settings.rules.xLoop) reply.extraHeaders += `X-Loop: ${settings.rules.xLoop}\n`;
    reply.extraHeaders += mimeHeaders(reply, x.fields.headers ?? '');
  }
  return buildReply(reply);
}

function readBodyFile(path: ByteString, optional: boolean): ByteString | undefined {
  try {
    return readFileCapped(toBuffer(path)).toString('latin1');
  } catch (err) {
    if (err instanceof FileTooLargeError) throw configError(`file ${path}: larger than the ${err.limit / (1024 * 1024)} MiB autoreply sends`);
    if (optional) return undefined;
    const cause = (err as NodeJS.ErrnoException).code ?? String(err);
    throw tempError(`Failed to open file ${path} when sending message: ${cause}`);
  }
}

/** file_expand: each line expanded on its own; a line that fails is copied as it is (Exim). */
function expandLines(body: ByteString, ctx: ExpansionContext): ByteString {
  const lines = body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines
    .map((line) => {
      try {
        return expand(line, ctx).value;
      } catch {
        return line;
      }
    })
    .join('');
}

