// The Misfin way (--mailbox DIR): the .auto-reply file is the switch, the
// [Auto-Reply] subject rule stops loops, the interval is recorded before sending;
// and --fire-and-forget, which never lets an auto-reply affect delivery.
import t, { type Test } from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE, autoreply, fakeSendmail, incoming, onceList, splitReply, tempDir } from '../reply-file/helpers.js';

function mailbox(t: Test, exitCode = 0) {
  const dir = tempDir(t, 'mbox');
  const box = join(dir, 'bob');
  mkdirSync(box);
  const sm = fakeSendmail(dir, exitCode);
  const clock = { now: new Date() };
  const run = async (extra: string[] = [], input = incoming(ALICE)) =>
    await autoreply(['--mailbox', box, '--recipient', 'bob@example.com', '--sendmail', sm.path, ...extra], input, undefined, clock);
  return { dir, box, sm, run, clock, db: join(box, '.auto-reply.db'), log: () => readFileSync(join(box, '.auto-reply.log'), 'utf8') };
}

t.test('the .auto-reply file is the switch: create, reply; delete, silence; recreate, reply after the interval', async (t) => {
  const { box, sm, run, db, clock } = mailbox(t);
  const off = await run(['--verbose']);
  t.equal(off.code, 0);
  t.match(off.stderr, /no reply: .*\/bob\/\.auto-reply does not exist \(auto-reply is off for this mailbox\)/);
  t.same(sm.messages(), []);
  t.notOk(existsSync(db), 'a mailbox without .auto-reply gets no database');

  writeFileSync(join(box, '.auto-reply'), 'I am away until Monday.\nBob\n');
  const on = await run(['--once-repeat', '3s']);
  t.equal(on.code, 0, on.stderr);
  t.equal(on.stderr, '');
  t.equal(
    sm.messages()[0],
    'To: alice@remote.example\nSubject: [Auto-Reply]\nIn-Reply-To: <lunch.1@remote.example>\nReferences: <lunch.1@remote.example>\n' +
      'Auto-Submitted: auto-replied\n\nI am away until Monday.\nBob\n',
    'the file contents are the body; subject [Auto-Reply]; to the sender',
  );
  t.same(
    (await onceList(db)).map((e) => [e.key, e.count, e.note]),
    [['alice@remote.example', 1, '[Auto-Reply]']],
    'recorded in DIR/.auto-reply.db, per sender',
  );
  t.equal((await run(['--once-repeat', '3s'])).code, 0);
  t.equal(sm.messages().length, 1, 'not again within the interval');

  rmSync(join(box, '.auto-reply'));
  t.equal((await run(['--once-repeat', '3s'])).code, 0);
  t.equal(sm.messages().length, 1, 'deleted: silence');

  writeFileSync(join(box, '.auto-reply'), 'Away again.\n');
  t.equal((await run(['--once-repeat', '3s'])).code, 0);
  t.equal(sm.messages().length, 1, 'recreated: the interval still holds for this sender');
  clock.now = new Date(clock.now.getTime() + 3200);
  t.equal((await run(['--once-repeat', '3s'])).code, 0);
  t.equal(sm.messages().length, 2, 'after the interval: answered again');
  t.match(sm.messages()[1], /\n\nAway again\.\n$/);
  t.equal((await onceList(db))[0]!.count, 2);
});

t.test('defaults: one day, the log next to the mailbox; options still apply', async (t) => {
  const { box, sm, run, log } = mailbox(t);
  writeFileSync(join(box, '.auto-reply'), 'Away.\n');
  t.equal((await run()).code, 0);
  t.equal((await run()).code, 0);
  t.equal(sm.messages().length, 1, 'one day by default');
  t.match(log(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n {2}To: alice@remote\.example\n {2}Subject: \[Auto-Reply\]\n\d{4}.*\n {2}previously sent to alice@remote\.example\n$/);
  const other = await run(['--subject', 'Out of office', '--from', 'bob@example.com', '--once-repeat', '86400'], incoming(ALICE, 'x\n', 'carol@remote.example'));
  t.equal(other.code, 0, other.stderr);
  t.match(sm.messages()[1], /^From: bob@example\.com\nTo: carol@remote\.example\nSubject: Out of office\n/);
  t.equal((await run(['--text', 'x'])).code, 78, 'the body is .auto-reply: no text option');
  t.equal((await run(['--exim-strict'])).code, 64);
});

t.test('[Auto-Reply] loop refusal between two mailboxes', async (t) => {
  const dir = tempDir(t, 'loop');
  const boxes = { bob: join(dir, 'bob'), carol: join(dir, 'carol') };
  for (const b of Object.values(boxes)) {
    mkdirSync(b);
    writeFileSync(join(b, '.auto-reply'), 'Away.\n');
  }
  const sm = fakeSendmail(dir);
  const deliver = async (to: 'bob' | 'carol', from: string, input: string, extra: string[] = []) =>
await autoreply(['--mailbox', boxes[to], '--recipient', `${to}@example.com`, '--sender', from, '--sendmail', sm.path, ...extra], input);

  // carol writes to bob; bob's mailbox answers carol
  t.equal((await deliver('bob', 'carol@example.com', incoming({ From: 'carol@example.com', To: 'bob@example.com', Subject: 'Hi' }))).code, 0);
  const bobsReply = sm.messages()[0]!;
  t.match(bobsReply, /^Subject: \[Auto-Reply\]$/m);
  // that reply reaches carol's mailbox, which also answers automatically: refused
  const r = await deliver('carol', 'bob@example.com', `From bob@example.com Sat Nov 21 04:40:00 2026\nFrom: bob@example.com\n${bobsReply}\n`, ['--dry-run']);
  t.equal(r.code, 0);
  t.match(r.stderr, /no reply: auto-submitted: Auto-Submitted: auto-replied/);
  t.match(r.stderr, /also: auto-reply-subject: Subject: \[Auto-Reply\]/);

  // a Misfin server's reply has no Auto-Submitted header: the subject alone stops the loop
  const misfin = incoming({ From: 'bob@example.com', To: 'carol@example.com', Subject: 'Re: Hi [Auto-Reply]' });
  const m = await deliver('carol', 'bob@example.com', misfin, ['--verbose']);
  t.equal(m.code, 0);
  t.match(m.stderr, /no reply: auto-reply-subject: Subject: Re: Hi \[Auto-Reply\]/);
  t.match(readFileSync(join(boxes.carol, '.auto-reply.log'), 'utf8'), /not sent to bob@example\.com: auto-reply-subject\n$/, 'named in the log');
  t.equal(sm.messages().length, 1, 'only the first reply went out');
  const allowed = await deliver('carol', 'bob@example.com', misfin, ['--allow-auto-reply-subject']);
  t.equal(allowed.code, 0);
  t.equal(sm.messages().length, 2, '--allow-auto-reply-subject turns it off');
});

t.test('the interval is recorded before sending: a failed submission is not retried into a second reply', async (t) => {
  const { box, sm, run, db } = mailbox(t, 1);
  writeFileSync(join(box, '.auto-reply'), 'Away.\n');
  const r = await run();
  t.equal(r.code, 75);
  t.match(r.stderr, /^autoreply: reply not sent: .* exited with status 1\n$/);
  t.equal(sm.messages().length, 1, 'sendmail was run');
  t.equal((await onceList(db)).length, 1, 'the record stays');
  t.equal((await run()).code, 0, 'the retry is suppressed');
});

t.test('--fire-and-forget: failures are logged, the exit is 0', async (t) => {
  const { box, sm, run, log } = mailbox(t, 1);
  writeFileSync(join(box, '.auto-reply'), 'Away.\n');
  const r = await run(['--fire-and-forget']);
  t.equal(r.code, 0);
  t.match(r.stderr, /^autoreply: reply not sent: .* exited with status 1 \(ignored: --fire-and-forget\)\n$/);
  t.match(log(), /not sent to alice@remote\.example: failed: reply not sent: .* exited with status 1\n$/);
  t.equal(sm.messages().length, 1);

  // a database that cannot be used
  rmSync(join(box, '.auto-reply.db'), { force: true });
  writeFileSync(join(box, '.auto-reply.db'), 'this is not an LMDB file, it is garbage '.repeat(200));
  const db = await run(['--fire-and-forget'], incoming(ALICE, 'x\n', 'dan@remote.example'));
  t.equal(db.code, 0);
  t.match(db.stderr, /once database .* \(ignored: --fire-and-forget\)/);
  const strict = await run([], incoming(ALICE, 'x\n', 'dan@remote.example'));
  t.equal(strict.code, 75, 'without it: defer');

  // a broken reply file, a missing sendmail
  const dir = tempDir(t, 'ff');
  writeFileSync(join(dir, 'r.txt'), 'Subject: x\n\n{include gone.txt}\n');
  const rf = await autoreply(['--reply-file', join(dir, 'r.txt'), '--fire-and-forget', '--sendmail', sm.path, '--recipient', 'bob@example.com'], incoming(ALICE));
  t.equal(rf.code, 0);
  t.match(rf.stderr, /r\.txt, line 3: \{include gone\.txt\}: cannot read .* \(ignored: --fire-and-forget\)/);
  const nosm = await autoreply(['--reply-file', join(dir, 'r.txt'), '--sendmail', '/nonexistent/sendmail', '--recipient', 'bob@example.com'], incoming(ALICE));
  t.equal(nosm.code, 78, 'without it: the configuration error');
});

t.test("Misfin's interval in seconds is accepted in mailbox mode only", async (t) => {
  const { box, run } = mailbox(t);
  writeFileSync(join(box, '.auto-reply'), 'Away.\n');
  t.equal((await run(['--once-repeat', '86400', '--dry-run'])).code, 0);
  const dir = tempDir(t, 'sec');
  writeFileSync(join(dir, 'r.txt'), 'Subject: x\n\ny\n');
  t.equal((await autoreply(['--reply-file', join(dir, 'r.txt'), '--once-repeat', '86400', '--dry-run', '--recipient', 'bob@example.com'], incoming(ALICE))).code, 78);
});

t.test('an unreadable .auto-reply defers (it exists, so the user wants replies)', { skip: process.getuid?.() === 0 ? 'root reads everything' : false }, async (t) => {
  const { box, run } = mailbox(t);
  writeFileSync(join(box, '.auto-reply'), 'Away.\n');
  chmodSync(join(box, '.auto-reply'), 0);
  t.equal((await run()).code, 75);
});
