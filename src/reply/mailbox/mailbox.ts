import { FileTooLargeError, readFileCapped } from '../../files.js';
import { join } from 'node:path';
import { bytes, type ByteString, fromBuffer, fromText, toBuffer } from '../../bytes.js';
import { configError, tempError } from '../../errors.js';

/**
 * The Misfin way: a mailbox folder answers while it holds a `.auto-reply` file,
 * whose contents are the reply body. The file is the switch — create it and
 * replies start, delete it and they stop, with no restart and no configuration
 * change. Whom the mailbox answered is kept next to it in `.auto-reply.db`.
 */

export const SWITCH_FILE = '.auto-reply';

/** What `--mailbox DIR` sets when the options leave it open. */
export const MAILBOX_DEFAULTS: Record<string, ByteString> = {
  subject: bytes('[Auto-Reply]'),
  once_repeat: bytes('1d'),
  // Misfin answers the sender of the message; the envelope sender is the address
  // a forged Reply-To cannot redirect (no backscatter to third parties).
  to: bytes('$sender_address'),
};

export interface MailboxPaths {
  /** `DIR/.auto-reply`: the switch and the body. */
  body: ByteString;
  /** `DIR/.auto-reply.db`: the once database, unless `once` is given. */
  once: ByteString;
  /** `DIR/.auto-reply.log`: the log, unless `log` is given. */
  log: ByteString;
}

export function mailboxPaths(dir: string): MailboxPaths {
  const p = (name: string) => fromText(join(dir, name));
  return { body: p(SWITCH_FILE), once: p(`${SWITCH_FILE}.db`), log: p(`${SWITCH_FILE}.log`) };
}

/**
 * The reply body, or undefined when the mailbox has no `.auto-reply` (auto-reply
 * is off). Read once, so that a file deleted "just now" counts as off rather than
 * as an error; any other failure to read it is temporary, like Exim's `file`.
 */
export function readMailboxSwitch(paths: MailboxPaths): ByteString | undefined {
  try {
    return fromBuffer(readFileCapped(toBuffer(paths.body)));
  } catch (err) {
    if (err instanceof FileTooLargeError) throw configError(`${paths.body}: ${err.message.slice(err.path.length + 1)}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw tempError(`cannot read ${paths.body}: ${code ?? String(err)}`);
  }
}
