/**
 * `autoreply vacation` end to end, the way a user switches it on with Exim: the
 * system's own, unmodified Exim configuration (Debian's default "userforward"
 * router and "address_pipe" transport) reads ~/.forward, which is
 * examples/exim/vacation.filter with the path of the installed autoreply (the
 * packed package, install.ts) filled in; the
 * filter pipes a copy of the message into `autoreply vacation`, whose defaults
 * are Exim's filter `vacation` command relative to $home (~/.vacation.msg,
 * ~/.vacation, ~/.vacation.log, subject "On vacation", once a week). Messages are
 * submitted with /usr/sbin/sendmail and land in /var/mail.
 *
 * Needs root and Debian's exim4-daemon-light with its default configuration.
 */
import t from 'tap';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXAMPLES,
  builtReason,
  checkRunnableBy,
  eximSettled,
  eximSkipReason,
  header,
  message,
  parseMbox,
  programCommand,
  readIfExists,
  removeSystemMailbox,
  run,
  runAs,
  systemEximDeliversLocally,
  tailFile,
  userIds,
} from './helpers.js';
import { userStage } from './stage.js';

const skip = eximSkipReason() ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  const stage = await userStage(t, 'vacation', ['ar-carol', 'ar-dave']);
  const { app, work } = stage;
  const carol = stage.home('ar-carol');

  // the user's own files: ~/.forward (the example filter) and ~/.vacation.msg
  const filter = readFileSync(join(EXAMPLES, 'exim/vacation.filter'), 'utf8').replaceAll('/usr/local/bin/autoreply', app.bin);
  const { uid, gid } = userIds('ar-carol');
  for (const [name, text] of [
    ['.forward', filter],
    ['.vacation.msg', 'I am on vacation until Monday.\nYour message "$h_subject:" will be read when I am back.\n'],
  ] as const) {
    writeFileSync(join(carol, name), text, { mode: 0o644 });
    chownSync(join(carol, name), uid, gid);
  }

  const send = (sender: string, msg: string) =>
    run('/usr/sbin/sendmail', ['-odi', '-oi', '-f', sender === '' ? '<>' : sender, 'ar-carol@localhost'], { input: msg });
  const replies = () => parseMbox(readIfExists('/var/mail/ar-dave'));
  const inbox = () => parseMbox(readIfExists('/var/mail/ar-carol'));
  const context = () => ({ eximLog: tailFile('/var/log/exim4/mainlog'), vacationLog: readIfExists(join(carol, '.vacation.log')) });

  t.test('setup', async (t) => {
    t.equal(systemEximDeliversLocally('ar-dave'), undefined, 'the system Exim delivers @localhost to /var/mail');
    t.equal(checkRunnableBy('ar-carol', app.bin), undefined, 'the installed autoreply runs as ar-carol');
  });

  t.test('a message is delivered and answered with the vacation defaults', async (t) => {
    const r = send(
      'ar-dave@localhost',
      message({
        From: 'Dave <ar-dave@localhost>',
        To: 'Carol <ar-carol@localhost>',
        Subject: 'Quarterly figures',
        'Message-ID': '<q1.42@desk.localhost>',
      }),
    );
    t.equal(r.status, 0, 'sendmail accepted the message', { stderr: r.stderr });
    t.ok(await eximSettled('ar-dave@localhost'), 'the reply left the queue');
    t.equal(inbox().length, 1, 'the original is in the mailbox (unseen pipe)', context());
    const mail = replies();
    t.equal(mail.length, 1, 'one reply', context());
    const reply = mail[0]!;
    t.equal(header(reply, 'Return-path'), '<>');
    t.equal(header(reply, 'Subject'), 'On vacation', 'the default subject');
    t.match(header(reply, 'To') ?? '', /ar-dave@localhost/);
    t.equal(header(reply, 'In-Reply-To'), '<q1.42@desk.localhost>');
    t.equal(header(reply, 'Auto-Submitted'), 'auto-replied');
    t.equal(reply.body, 'I am on vacation until Monday.\nYour message "Quarterly figures" will be read when I am back.\n\n', '~/.vacation.msg, expanded');
    t.ok(existsSync(join(carol, '.vacation')), '~/.vacation (the once database) exists');
    t.match(readIfExists(join(carol, '.vacation.log')), /Subject: On vacation/, '~/.vacation.log records the reply');
  });

  t.test('a second message within the week is not answered', async (t) => {
    const r = send('ar-dave@localhost', message({ From: 'ar-dave@localhost', To: 'ar-carol@localhost', Subject: 'Also', 'Message-ID': '<q2@desk.localhost>' }));
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await eximSettled('ar-dave@localhost'));
    t.equal(inbox().length, 2, context());
    t.equal(replies().length, 1, 'still one reply', context());
  });

  t.test('a mailing list message is delivered and not answered', async (t) => {
    removeSystemMailbox('ar-dave');
    // forget Dave, so that only the list rule can keep the reply back
    // (as the user: the database and its lock file belong to her)
    const f = runAs('ar-carol', programCommand(app.bin, `once forget ar-dave@localhost --once ${join(carol, '.vacation')}`));
    t.equal(f.status, 0, 'autoreply once forget', { stderr: f.stderr });
    const r = send(
      'ar-dave@localhost',
      message({ From: 'ar-dave@localhost', To: 'team@localhost', Subject: '[team] minutes', 'List-Id': '<team.localhost>', 'Message-ID': '<l1@localhost>' }),
    );
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await eximSettled('ar-dave@localhost'));
    t.equal(inbox().length, 3, context());
    t.equal(replies().length, 0, 'no reply to a list', context());
    t.match(readIfExists(join(carol, '.vacation.log')), /not sent to .*ar-dave@localhost>?: list/, 'the log names the rule');
  });

  t.test('a bounce is delivered and not answered', async (t) => {
    const r = send('', message({ From: 'ar-dave@localhost', To: 'ar-carol@localhost', Subject: 'Undeliverable', 'Message-ID': '<b1@localhost>' }));
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await eximSettled('ar-dave@localhost'));
    t.equal(inbox().length, 4, context());
    t.equal(replies().length, 0, 'no reply to a bounce', context());
    t.match(readIfExists(join(carol, '.vacation.log')), /not sent to .*ar-dave@localhost>?: bounce/, 'the log names the rule');
  });
}
