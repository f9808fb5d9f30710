/**
 * End to end with a real Exim: a message for ar-bob@localhost goes through the
 * router and pipe transport of examples/exim (unseen, so it is still delivered)
 * into `autoreply --config examples/vacation.conf`, installed from the packed
 * package (install.ts); autoreply submits its reply through the real
 * /usr/sbin/sendmail, and the reply lands in the sender's mailbox,
 * /var/mail/ar-alice. The test reads the mailboxes as a user would.
 *
 * Needs root and Debian's exim4-daemon-light (.ci/run installs it).
 */
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  builtReason,
  checkRunnableBy,
  eximDropQueued,
  eximSettled,
  eximSkipReason,
  ensureUser,
  header,
  headerValues,
  message,
  oneRunAtATime,
  parseMbox,
  readIfExists,
  removeSystemMailbox,
  systemEximDeliversLocally,
  tailFile,
} from './helpers.js';
import { eximWorld } from './exim-setup.js';
import { sharedInstall } from './install.js';

const skip = eximSkipReason() ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  await oneRunAtATime('exim');
  const app = await sharedInstall();
  const world = eximWorld(`${app.bin} --config ${join(app.examples, 'vacation.conf')}`, app.examples);
  const home = (u: string) => join(world.work, 'home', u);
  ensureUser('ar-alice', home('ar-alice'));
  ensureUser('ar-bob', home('ar-bob'));
  removeSystemMailbox('ar-alice');
  removeSystemMailbox('ar-bob');
  eximDropQueued(['ar-alice@localhost', 'ar-bob@localhost']);
  t.teardown(() => {
    if (process.env.AUTOREPLY_E2E_KEEP) return void t.comment(`kept ${world.work} and /var/mail/ar-*`);
    removeSystemMailbox('ar-alice');
    removeSystemMailbox('ar-bob');
    world.cleanup();
  });
  // the router answers for users who have a ~/.vacation.msg
  writeFileSync(join(home('ar-bob'), '.vacation.msg'), 'I am away until Monday.\nYour message "$h_subject:" will wait for me.\n');

  const replies = () => parseMbox(readIfExists('/var/mail/ar-alice'));
  const originals = () => parseMbox(readIfExists(world.mailbox('ar-bob')));
  const context = () => ({ eximLog: tailFile(world.mainlog), vacationLog: readIfExists(join(home('ar-bob'), '.vacation.log')) });

  t.test('setup', async (t) => {
    t.equal(checkRunnableBy('ar-bob', app.bin), undefined, 'the installed autoreply runs as the user the pipe runs as');
    t.equal(systemEximDeliversLocally('ar-alice'), undefined, 'the system Exim delivers @localhost to /var/mail');
  });

  t.test('first message: the original is delivered and one reply comes back', async (t) => {
    const r = world.deliver(
      'ar-alice@localhost',
      'ar-bob@localhost',
      message({
        From: 'Alice <ar-alice@localhost>',
        To: 'Bob <ar-bob@localhost>',
        Subject: 'Lunch on Friday?',
        Date: 'Mon, 13 Jul 2026 09:40:57 +0000',
        'Message-ID': '<first.1@laptop.localhost>',
      }),
    );
    t.equal(r.status, 0, 'exim accepted the message', { stderr: r.stderr });
    t.ok(await eximSettled('ar-alice@localhost'), 'the reply left the system queue');

    const got = originals();
    t.equal(got.length, 1, 'the original is in ar-bob\'s mailbox', context());
    t.equal(header(got[0]!, 'Subject'), 'Lunch on Friday?');

    const mail = replies();
    t.equal(mail.length, 1, 'exactly one reply in ar-alice\'s mailbox', context());
    const reply = mail[0]!;
    t.equal(header(reply, 'Return-path'), '<>', 'empty envelope sender');
    t.match(reply.fromLine, /^From MAILER-DAEMON /, 'mbox From_ line of a null sender');
    t.match(header(reply, 'To') ?? '', /ar-alice@localhost/, 'To: the sender');
    t.equal(header(reply, 'Subject'), 'Re: Lunch on Friday?');
    t.equal(header(reply, 'In-Reply-To'), '<first.1@laptop.localhost>');
    t.equal(header(reply, 'References'), '<first.1@laptop.localhost>');
    t.equal(header(reply, 'Auto-Submitted'), 'auto-replied');
    t.match(header(reply, 'From') ?? '', /ar-bob@/, 'From: the mailbox owner (written by sendmail)');
    t.ok(header(reply, 'Message-Id'), 'sendmail added a Message-Id');
    t.ok(header(reply, 'Date'), 'sendmail added a Date');
    t.match(reply.body, /This is an automatic reply to your message "Lunch on Friday\?"\./, 'text of examples/vacation.conf');
    t.match(reply.body, /Your message "Lunch on Friday\?" will wait for me\./, '~/.vacation.msg, expanded');
    t.match(readIfExists(join(home('ar-bob'), '.vacation.log')), /To: .*ar-alice@localhost/, 'the reply is in ~/.vacation.log');
  });

  t.test('second message from the same sender: delivered, not answered again', async (t) => {
    const r = world.deliver(
      'ar-alice@localhost',
      'ar-bob@localhost',
      message({
        From: 'Alice <ar-alice@localhost>',
        To: 'ar-bob@localhost',
        Subject: 'One more thing',
        'Message-ID': '<second.2@laptop.localhost>',
      }),
    );
    t.equal(r.status, 0, 'exim accepted the message', { stderr: r.stderr });
    t.ok(await eximSettled('ar-alice@localhost'));
    t.equal(originals().length, 2, 'both originals delivered', context());
    t.equal(replies().length, 1, 'still one reply', context());
    t.match(readIfExists(join(home('ar-bob'), '.vacation.log')), /previously sent to .*ar-alice@localhost/, 'the log says why');
  });

  t.test('a bounce (empty envelope sender) is delivered and not answered', async (t) => {
    removeSystemMailbox('ar-alice');
    const r = world.deliver(
      '',
      'ar-bob@localhost',
      message(
        {
          From: 'Mail Delivery System <ar-alice@localhost>',
          To: 'ar-bob@localhost',
          Subject: 'Mail delivery failed: returning message to sender',
          'Message-ID': '<bounce.3@localhost>',
          'Auto-Submitted': 'auto-replied',
        },
        'A message that you sent could not be delivered.\n',
      ),
    );
    t.equal(r.status, 0, 'exim accepted the bounce', { stderr: r.stderr });
    t.ok(await eximSettled('ar-alice@localhost'));
    t.equal(originals().length, 3, 'the bounce is in the mailbox', context());
    t.equal(replies().length, 0, 'no reply to a bounce', context());
    t.match(readIfExists(join(home('ar-bob'), '.vacation.log')), /not sent to .*ar-alice@localhost>?: bounce/, 'the log names the rule');
  });

  t.test('once keys on the bare address: a new display name earns no second reply', async (t) => {
    const r = world.deliver(
      'ar-alice@localhost',
      'ar-bob@localhost',
      message({
        From: 'Alice <ar-alice@localhost>',
        'Reply-To': 'Alice at home <ar-alice@localhost>',
        To: 'ar-bob@localhost',
        Subject: 'Re: Lunch',
        'Message-ID': '<third.3@laptop.localhost>',
        References: '<first.1@laptop.localhost>',
      }),
    );
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await eximSettled('ar-alice@localhost'));
    // ar-alice was answered in the first test; once_repeat = 7d
    t.equal(replies().length, 0, 'no reply to "Alice at home <ar-alice@localhost>"', context());
    t.equal(headerValues(originals()[3]!, 'Subject')[0], 'Re: Lunch');
  });
}
