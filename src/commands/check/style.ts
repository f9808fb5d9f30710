import { toText } from '../../bytes.js';
import type { SourceSpec } from '../../delivery/request.js';
import { mailboxPaths, readMailboxSwitch } from '../../reply/mailbox/mailbox.js';
import { checkReplyFile } from '../../reply/reply-file/load.js';
import { describeProblem } from '../../reply/reply-file/template.js';

/**
 * `autoreply check --reply-file FILE` / `--mailbox DIR`: every problem of the
 * reply file and the files it includes (not just the first, as a delivery
 * reports), without needing a message; and whether a mailbox answers now.
 */
export function checkStyle(source: SourceSpec, handle: string | undefined, say: (line: string) => void): string[] {
  if (source.kind === 'reply-file') {
    const { template, problems } = checkReplyFile(source.path);
    if (template) say(`reply file = ${template.path} (once database entries "${handle ?? template.identity} ADDRESS")`);
    return problems.map(describeProblem);
  }
  if (source.kind === 'mailbox') {
    const paths = mailboxPaths(source.dir);
    try {
      const on = readMailboxSwitch(paths) !== undefined;
      say(`mailbox = ${source.dir}: ${toText(paths.body)} ${on ? 'exists: auto-reply is on' : 'does not exist: auto-reply is off'}`);
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  }
  return [];
}
