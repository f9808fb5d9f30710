/**
 * maildrop end to end, started the way Debian's Exim starts it for every user
 * with a ~/.mailfilter (its default "maildrop" router and "maildrop_pipe"
 * transport, unmodified: the message with a Return-path: header and no From_
 * line, as Postfix's mailbox_command hands it too): /usr/bin/maildrop runs as
 * the user in delivery mode, reads ~/.mailfilter — examples/maildrop/mailfilter
 * with the path of the installed autoreply (the packed package, install.ts) —
 * pipes a copy into `autoreply vacation` ("cc") and files the message into
 * /var/mail/ar-jack. The reply goes through the real /usr/sbin/sendmail to
 * /var/mail/ar-jill.
 *
 * Needs root, Debian's exim4-daemon-light with its default configuration, and
 * maildrop (.ci/run installs them).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
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
} from './helpers.js';
import { filterCases, userFile } from './filters.js';
import { userStage } from './stage.js';

const skip = eximSkipReason() ?? missingPackage('maildrop', '/usr/bin/maildrop') ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  const stage = await userStage(t, 'maildrop', ['ar-jack', 'ar-jill']);
  const { app } = stage;
  const home = stage.home('ar-jack');

  // the example with the installed program's path and this machine's domain
  // (maildrop refuses a world-writable filter file; 600 as usual)
  const mailfilter = readFileSync(join(EXAMPLES, 'maildrop/mailfilter'), 'utf8')
    .replaceAll('/usr/local/bin/autoreply', app.bin)
    .replaceAll('example.com', 'localhost');
  userFile('ar-jack', join(home, '.mailfilter'), mailfilter, 0o600);
  userFile('ar-jack', join(home, '.vacation.msg'), 'Away until Monday (maildrop).\nYour message "$h_subject:" will wait.\n');

  t.test('setup', async (t) => {
    t.equal(systemEximDeliversLocally('ar-jill'), undefined, 'the system Exim delivers @localhost to /var/mail');
    t.equal(checkRunnableBy('ar-jack', app.bin), undefined, 'the installed autoreply runs as ar-jack');
    const route = run('/usr/sbin/exim', ['-bt', 'ar-jack@localhost']);
    t.match(route.stdout, /router = maildrop, transport = maildrop_pipe/, "Debian's Exim hands ar-jack's mail to maildrop", { stderr: route.stderr });
  });

  t.test('examples/maildrop/mailfilter: cc "| autoreply vacation"', async (t) => {
    filterCases(t, {
      user: 'ar-jack',
      sender: 'ar-jill',
      inbox: () => parseMbox(readIfExists('/var/mail/ar-jack')),
      log: () => readIfExists(join(home, '.vacation.log')),
      reply: { subject: 'On vacation', body: /^Away until Monday \(maildrop\)\.\nYour message "Budget for July" will wait\.\n/ },
      context: () => ({ eximLog: tailFile('/var/log/exim4/mainlog', 20), mailfilter: readIfExists(join(home, '.mailfilter')) }),
    });
  });
}
