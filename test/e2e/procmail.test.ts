/**
 * procmail end to end, started the way Debian's Exim starts it for every user
 * with a ~/.procmailrc (its default "procmail" router and "procmail_pipe"
 * transport, unmodified): /usr/bin/procmail runs as the user, with HOME, SENDER
 * and RECIPIENT in the environment and the message after a From_ line — as a
 * ~/.forward "|procmail" or Postfix's mailbox_command would start it. procmail
 * files the message into /var/mail/USER and its "c" recipe pipes a copy into the
 * installed autoreply (the packed package, install.ts):
 *  - ar-hank: examples/procmail/procmailrc, `autoreply vacation` with
 *    ~/.vacation.msg;
 *  - ar-holly: examples/mailbox/procmailrc, `autoreply --mailbox ~/Maildir`
 *    switched on by ~/Maildir/.auto-reply.
 * The replies go through the real /usr/sbin/sendmail to ar-harry and ar-hazel.
 *
 * Needs root, Debian's exim4-daemon-light with its default configuration, and
 * procmail (.ci/run installs them).
 */
import t from 'tap';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXAMPLES,
  builtReason,
  checkRunnableBy,
  eximSkipReason,
  missingPackage,
  parseMbox,
  readIfExists,
  run,
  systemEximDeliversLocally,
  tailFile,
  userIds,
} from './helpers.js';
import { filterCases, userFile } from './filters.js';
import { userStage } from './stage.js';

const skip = eximSkipReason() ?? missingPackage('procmail', '/usr/bin/procmail') ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  const { app, home } = await userStage(t, 'procmail', ['ar-hank', 'ar-holly', 'ar-harry', 'ar-hazel']);

  // the examples with the installed program's path and this machine's domain
  const example = (f: string) =>
    readFileSync(join(EXAMPLES, f), 'utf8').replaceAll('/usr/local/bin/autoreply', app.bin).replaceAll('example.com', 'localhost');

  // ar-hank: vacation
  userFile('ar-hank', join(home('ar-hank'), '.procmailrc'), example('procmail/procmailrc'));
  userFile('ar-hank', join(home('ar-hank'), '.vacation.msg'), 'Away until Monday (procmail).\nYour message "$h_subject:" will wait.\n');

  // ar-holly: the mailbox way, ~/Maildir/.auto-reply switches it on
  userFile('ar-holly', join(home('ar-holly'), '.procmailrc'), example('mailbox/procmailrc'));
  const maildir = join(home('ar-holly'), 'Maildir');
  mkdirSync(maildir);
  chownSync(maildir, userIds('ar-holly').uid, userIds('ar-holly').gid);
  userFile('ar-holly', join(maildir, '.auto-reply'), readFileSync(join(EXAMPLES, 'mailbox/.auto-reply'), 'utf8'));

  const eximLog = () => tailFile('/var/log/exim4/mainlog', 20);

  t.test('setup', async (t) => {
    t.equal(systemEximDeliversLocally('ar-harry'), undefined, 'the system Exim delivers @localhost to /var/mail');
    t.equal(checkRunnableBy('ar-hank', app.bin), undefined, 'the installed autoreply runs as ar-hank');
    for (const u of ['ar-hank', 'ar-holly']) {
      const route = run('/usr/sbin/exim', ['-bt', `${u}@localhost`]);
      t.match(route.stdout, /router = procmail, transport = procmail_pipe/, `Debian's Exim hands ${u}'s mail to procmail`, { stderr: route.stderr });
    }
  });

  t.test('examples/procmail/procmailrc: autoreply vacation', async (t) => {
    filterCases(t, {
      user: 'ar-hank',
      sender: 'ar-harry',
      inbox: () => parseMbox(readIfExists('/var/mail/ar-hank')),
      log: () => readIfExists(join(home('ar-hank'), '.vacation.log')),
      reply: { subject: 'On vacation', body: /^Away until Monday \(procmail\)\.\nYour message "Budget for July" will wait\.\n/ },
      context: () => ({ eximLog: eximLog(), procmailrc: readIfExists(join(home('ar-hank'), '.procmailrc')) }),
    });
  });

  t.test('examples/mailbox/procmailrc: autoreply --mailbox', async (t) => {
    filterCases(t, {
      user: 'ar-holly',
      sender: 'ar-hazel',
      inbox: () => parseMbox(readIfExists('/var/mail/ar-holly')),
      log: () => readIfExists(join(maildir, '.auto-reply.log')),
      reply: { subject: '[Auto-Reply]', body: /^I am away from this mailbox until July 14th/ },
      context: () => ({ eximLog: eximLog(), procmailrc: readIfExists(join(home('ar-holly'), '.procmailrc')) }),
    });
  });
}
