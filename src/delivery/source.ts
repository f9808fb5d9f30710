import type { ByteString } from '../bytes.js';
import { mailboxSource } from '../reply/mailbox/source.js';
import { optionsSource } from '../reply/options/source.js';
import { loadReplyFile } from '../reply/reply-file/load.js';
import { replyFileSource } from '../reply/reply-file/source.js';
import type { ReplySource } from '../reply/source.js';
import type { SourceSpec } from './request.js';

/** The reply's source, a mailbox switched off, or the failure to prepare it (reported once the input is read). */
export type PreparedSource = { source: ReplySource } | { off: ByteString } | { error: unknown };

/**
 * Before the message is read: a reply file must be loaded to know whether it
 * uses `{*}` (and so how much of the body to keep). A broken file is reported
 * only after the input has been drained, so the failure is returned, not thrown.
 */
export function prepareSource(spec: SourceSpec, handle: string | undefined): PreparedSource {
  try {
    switch (spec.kind) {
      case 'options':
        return { source: optionsSource(handle) };
      case 'reply-file':
        return { source: replyFileSource(loadReplyFile(spec.path), handle) };
      case 'mailbox': {
        const s = mailboxSource(spec.dir, handle);
        return 'off' in s ? s : { source: s };
      }
    }
  } catch (error) {
    return { error };
  }
}
