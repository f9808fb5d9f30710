// The worked examples in examples/reply-file and examples/mailbox do what the
// README and the man page say.
import t from 'tap';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { ALICE, PROJECT, autoreply, fakeSendmail, incoming, splitReply, tempDir } from './helpers.js';

const EX = join(PROJECT, 'examples');

t.test('examples/reply-file', async (t) => {
  const dir = tempDir(t, 'ex');
  const sm = fakeSendmail(dir);
  for (const f of ['vacation.txt', 'away-html.txt']) {
    const c = await autoreply(['check', '--reply-file', join(EX, 'reply-file', f)]);
    t.equal(c.code, 0, `${f}: ${c.stderr}`);
    const r = await autoreply(['--reply-file', join(EX, 'reply-file', f), '--recipient', 'bob@example.com', '--sendmail', sm.path], incoming(ALICE));
    t.equal(r.code, 0, r.stderr);
  }
  const [plain, html] = sm.messages();
  t.match(plain, /^Subject: Away until July 14th \(was: Lunch on Friday\?\)$/m);
  t.match(splitReply(plain!).body, /your message about "Lunch on Friday\?" arrived[\s\S]*written \{like this\}, a backslash as \\\.\n-- \nBob Jones, Example Ltd\.\n/);
  const parsed = await simpleParser(Buffer.from(html!, 'latin1'));
  t.match(parsed.text, /your message about "Lunch on Friday\?" arrived/);
  t.match(parsed.html, /<b>Lunch on Friday\?<\/b>/);
});

t.test('examples/mailbox', async (t) => {
  const dir = tempDir(t, 'ex');
  const box = join(dir, 'Maildir');
  mkdirSync(box);
  const sm = fakeSendmail(dir);
  const run = async () => await autoreply(['--mailbox', box, '--fire-and-forget', '--sendmail', sm.path], incoming(ALICE));
  t.equal((await run()).code, 0);
  t.same(sm.messages(), [], 'off until .auto-reply exists');
  copyFileSync(join(EX, 'mailbox/.auto-reply'), join(box, '.auto-reply'));
  t.equal((await run()).code, 0);
  t.match(sm.messages()[0], /^To: alice@remote\.example\nSubject: \[Auto-Reply\]\n[\s\S]*\n\nI am away from this mailbox until July 14th/);
});
