import { configError } from '../../errors.js';
import type { ReplySource } from '../source.js';
import { mergeHeaders } from './merge.js';
import { quotesMessage, renderBody, renderHeaders } from './render.js';
import type { ReplyTemplate } from './template.js';
import { bytes } from '../../bytes.js';

/**
 * A PEP reply file: its header lines win over the options (To defaults to the
 * envelope sender, as PEP replies go), its body is the template filled in with
 * the message. Its identity (file name and a hash of path and bytes) makes each
 * reply file, and each edit of one, a reply of its own in the once database;
 * `--handle` replaces it.
 */
export function replyFileSource(template: ReplyTemplate, handle: string | undefined): ReplySource {
  return {
    kind: 'reply-file',
    identity: handle ?? template.identity,
    needsWholeBody: template.usesWholeMessage,
    needsMessageText: quotesMessage(template),
    defaultPaths: {},
    headers: (options, message) => {
      const merged = mergeHeaders(options, renderHeaders(template, message));
      return { fields: merged.fields, own: merged.others };
    },
    body: ({ message, options }) => {
      if (template.mime && options.return_message) {
        throw configError(`reply file ${template.path} is a MIME entity: return_message cannot add to it (put {*} in a part instead)`);
      }
      const body = renderBody(template, message, options.return_size_limit);
      // a text body ends with a newline; a MIME entity is kept exactly as written
      if (template.mime || body === '' || body.endsWith('\n')) return { bytes: body, mime: template.mime };
      return { bytes: bytes(`${body}\n`), mime: false };
    },
  };
}
