import { toText } from '../bytes.js';
import { mailboxPaths, readMailboxSwitch } from '../mailbox/mailbox.js';
import { checkReplyFile } from '../reply-file/load.js';
import { describeProblem } from '../reply-file/template.js';
import type { Settings } from '../settings.js';

/**
 * `autoreply check --reply-file FILE` / `--mailbox DIR`: every problem of the
 * reply file and the files it includes (not just the first, as a delivery
 * reports), without needing a message; and whether a mailbox answers now.
 */
export function checkStyle(settings: Settings, say: (line: string) => void): string[] {
  if (settings.replyFile !== undefined) {
    const { template, problems } = checkReplyFile(settings.replyFile);
    if (template) say(`reply file = ${template.path} (once database entries "${settings.handle ?? template.identity} ADDRESS")`);
    return problems.map(describeProblem);
  }
  if (settings.mailbox !== undefined) {
    const paths = mailboxPaths(settings.mailbox);
    try {
      const on = readMailboxSwitch(paths) !== undefined;
      say(`mailbox = ${settings.mailbox}: ${toText(paths.body)} ${on ? 'exists: auto-reply is on' : 'does not exist: auto-reply is off'}`);
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  }
  return [];
}
