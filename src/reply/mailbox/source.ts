import type { ReplySource, SwitchedOff } from '../source.js';
import { mailboxPaths, readMailboxSwitch } from './mailbox.js';

/**
 * The Misfin way: while `DIR/.auto-reply` exists its contents are the body; its
 * database and log live next to it unless the options name others. Entries are
 * per sender (no identity), so recreating the file does not reset the interval;
 * `--handle` gives the text a name of its own.
 */
export function mailboxSource(dir: string, handle: string | undefined): ReplySource | SwitchedOff {
  const paths = mailboxPaths(dir);
  const body = readMailboxSwitch(paths);
  if (body === undefined) return { off: paths.body };
  return {
    kind: 'mailbox',
    identity: handle,
    needsWholeBody: false,
    defaultPaths: { once: paths.once, log: paths.log },
    headers: (fields) => ({ fields, own: [] }),
    body: () => ({ bytes: body, mime: false }),
  };
}
