/**
 * End to end with a real Postfix. Postfix replaces Exim when it is installed, so
 * this test runs only inside test/e2e/postfix-stage.sh (which installs Postfix,
 * runs this file with AUTOREPLY_E2E_POSTFIX=1, and puts Exim back); otherwise it
 * skips.
 *
 * Two ways in, both from examples/postfix with the paths filled in:
 *  - master.cf pipe(8) service + recipient_bcc_maps + transport_maps: a blind
 *    copy of mail for ar-frank@localhost goes to the "autoreply" service, which
 *    runs `autoreply --config postfix.conf --sender=${sender} --recipient=...`;
 *  - ~ar-gina/.forward: `\ar-gina, "|autoreply vacation"` (local(8)).
 * Both run the autoreply installed from the packed package (install.ts).
 * Replies go through Postfix's own /usr/sbin/sendmail and land in /var/mail.
 * Mail stays on this machine (Postfix listens on loopback only, no relay).
 */
import t from 'tap';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXAMPLES,
  builtReason,
  checkRunnableBy,
  ensureUser,
  header,
  isRoot,
  message,
  must,
  openUp,
  ownedDir,
  parseMbox,
  readIfExists,
  removeSystemMailbox,
  run,
  runProgram,
  sleep,
  tailFile,
  userIds,
} from './helpers.js';
import { sharedInstall } from './install.js';

const MARK_BEGIN = '# BEGIN autoreply e2e test';
const MARK_END = '# END autoreply e2e test';
const MAILLOG = '/var/log/postfix.log';

function skipReason(): string | undefined {
  if (process.env.AUTOREPLY_E2E_POSTFIX !== '1') {
    return 'Postfix stage only: run test/e2e/postfix-stage.sh (installs Postfix in place of Exim, then restores Exim)';
  }
  if (!isRoot()) return 'needs root';
  return builtReason();
}

const queueEmpty = () => /Mail queue is empty/.test(run('/usr/sbin/postqueue', ['-p']).stdout);

/** Wait until Postfix has delivered everything (queue empty twice in a row). */
async function settled(): Promise<boolean> {
  const end = Date.now() + 60000;
  while (Date.now() < end) {
    if (queueEmpty()) {
      await sleep(700);
      if (queueEmpty()) return true;
    }
    await sleep(200);
  }
  return false;
}

const skip = skipReason();
if (skip) {
  t.plan(0, skip);
} else {
  t.test('Postfix is the MTA here and it runs', async (t) => {
    const v = run('/usr/sbin/postconf', ['-h', 'mail_version']);
    t.equal(v.status, 0, 'postconf works', { stderr: v.stderr });
    t.equal(run('/usr/sbin/postfix', ['status']).status, 0, 'postfix status: running');
    t.match(run('dpkg', ['-S', '/usr/sbin/sendmail']).stdout, /^postfix:/, '/usr/sbin/sendmail is Postfix\'s');
  });

  const app = await sharedInstall();
  const work = mkdtempSync('/tmp/autoreply-e2e-postfix-');
  openUp(work);
  const home = (u: string) => join(work, 'home', u);
  for (const u of ['ar-erin', 'ar-frank', 'ar-gina']) {
    ensureUser(u, home(u));
    removeSystemMailbox(u);
  }
  // the pipe service runs as the system user of examples/postfix/master.cf
  if (run('id', ['-u', 'autoreply']).status !== 0) must('useradd', ['-r', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', 'autoreply']);

  // examples/postfix with this machine's paths: the files are the examples, only paths and the domain change
  const fill = (s: string) =>
    s
      .replaceAll('/usr/local/bin/autoreply', app.bin)
      .replaceAll('/etc/autoreply/postfix.conf', join(work, 'postfix.conf'))
      .replaceAll('/etc/autoreply/messages', join(work, 'messages'))
      .replaceAll('/var/lib/autoreply', join(work, 'state'))
      .replaceAll('/var/log/autoreply', join(work, 'log'))
      .replaceAll('/etc/postfix/autoreply_', join(work, 'autoreply_'))
      .replaceAll('bob@example.com', 'ar-frank@localhost')
      .replaceAll('bob@autoreply.example.com', 'ar-frank@autoreply.localhost')
      .replaceAll('example.com', 'localhost');
  const example = (f: string) => fill(readFileSync(join(EXAMPLES, 'postfix', f), 'utf8'));
  ownedDir(join(work, 'state'), 'autoreply');
  ownedDir(join(work, 'log'), 'autoreply');
  mkdirSync(join(work, 'messages'));
  writeFileSync(join(work, 'postfix.conf'), example('postfix.conf'));
  writeFileSync(join(work, 'messages/ar-frank.txt'), 'Thank you for writing to $local_part@$domain.\nWe answer within two working days.\n');
  writeFileSync(join(work, 'autoreply_bcc'), example('autoreply_bcc').replace(/^help@.*\n/m, ''));
  writeFileSync(join(work, 'autoreply_transport'), example('autoreply_transport'));
  must('/usr/sbin/postmap', [join(work, 'autoreply_bcc'), join(work, 'autoreply_transport')]);

  const masterCf = readFileSync('/etc/postfix/master.cf', 'utf8');
  const mainCf = readFileSync('/etc/postfix/main.cf', 'utf8');
  writeFileSync('/etc/postfix/master.cf', `${masterCf.replace(/\n?$/, '\n')}${MARK_BEGIN}\n${example('master.cf')}${MARK_END}\n`);
  const settings = example('main.cf')
    .split('\n')
    .filter((l) => /^\w+\s*=/.test(l))
    .map((l) => l.replace(/\s*=\s*/, '='));
  must('/usr/sbin/postconf', ['-e', ...settings]);
  must('/usr/sbin/postfix', ['reload']);

  // ~ar-gina/.forward: examples/postfix/forward for her
  const gina = userIds('ar-gina');
  writeFileSync(join(home('ar-gina'), '.forward'), fill(readFileSync(join(EXAMPLES, 'postfix/forward'), 'utf8')).replace('\\bob', '\\ar-gina'));
  writeFileSync(join(home('ar-gina'), '.vacation.msg'), 'Back on Monday.\n');
  for (const f of ['.forward', '.vacation.msg']) chownSync(join(home('ar-gina'), f), gina.uid, gina.gid);

  t.teardown(() => {
    writeFileSync('/etc/postfix/master.cf', masterCf);
    writeFileSync('/etc/postfix/main.cf', mainCf);
    run('/usr/sbin/postfix', ['reload']);
    if (process.env.AUTOREPLY_E2E_KEEP) return;
    for (const u of ['ar-erin', 'ar-frank', 'ar-gina']) removeSystemMailbox(u);
    rmSync(work, { recursive: true, force: true });
  });

  const send = (sender: string, rcpt: string, msg: string) =>
    run('/usr/sbin/sendmail', ['-oi', '-f', sender === '' ? '<>' : sender, rcpt], { input: msg });
  const mbox = (u: string) => parseMbox(readIfExists(`/var/mail/${u}`));
  const context = () => ({
    postfixLog: tailFile(MAILLOG, 25),
    autoreplyLog: readIfExists(join(work, 'log/autoreply.log')),
    vacationLog: readIfExists(join(home('ar-gina'), '.vacation.log')),
    queue: run('/usr/sbin/postqueue', ['-p']).stdout,
  });

  t.test('the installed autoreply runs as the users the pipes run as', async (t) => {
    t.equal(checkRunnableBy('autoreply', app.bin), undefined);
    t.equal(checkRunnableBy('ar-gina', app.bin), undefined);
  });

  t.test('master.cf pipe: the original is delivered and one reply comes back', async (t) => {
    const r = send(
      'ar-erin@localhost',
      'ar-frank@localhost',
      message({ From: 'Erin <ar-erin@localhost>', To: 'ar-frank@localhost', Subject: 'Order 1234', 'Message-ID': '<order.1234@shop.localhost>' }),
    );
    t.equal(r.status, 0, 'sendmail accepted it', { stderr: r.stderr });
    t.ok(await settled(), 'the queue drained', context());
    t.equal(mbox('ar-frank').length, 1, 'original delivered', context());
    const replies = mbox('ar-erin');
    t.equal(replies.length, 1, 'one reply', context());
    const reply = replies[0]!;
    t.equal(header(reply, 'Return-Path'), '<>', 'null envelope sender');
    t.equal(header(reply, 'From'), 'ar-frank@localhost', 'from = $local_part@$domain (from --recipient=${user}@${nexthop})');
    t.match(header(reply, 'To') ?? '', /ar-erin@localhost/);
    t.equal(header(reply, 'Subject'), 'Re: Order 1234');
    t.equal(header(reply, 'In-Reply-To'), '<order.1234@shop.localhost>');
    t.equal(header(reply, 'Auto-Submitted'), 'auto-replied');
    t.match(reply.body, /Thank you for writing to ar-frank@localhost\./, 'the per-address text, expanded');
    t.match(readIfExists(join(work, 'log/autoreply.log')), /To: .*ar-erin@localhost/, 'logged');
  });

  t.test('master.cf pipe: a second message is not answered again', async (t) => {
    const r = send('ar-erin@localhost', 'ar-frank@localhost', message({ From: 'ar-erin@localhost', To: 'ar-frank@localhost', Subject: 'Order 1235' }));
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await settled(), 'the queue drained', context());
    t.equal(mbox('ar-frank').length, 2, context());
    t.equal(mbox('ar-erin').length, 1, 'still one reply', context());
  });

  t.test('master.cf pipe: a bounce (null_sender=) is not answered', async (t) => {
    const cleared = runProgram(app.bin, ['once', 'clear', '--once', join(work, 'state/once.db')], { uid: userIds('autoreply').uid, gid: userIds('autoreply').gid });
    t.equal(cleared.status, 0, 'autoreply once clear', { stderr: cleared.stderr });
    const r = send('', 'ar-frank@localhost', message({ From: 'ar-erin@localhost', To: 'ar-frank@localhost', Subject: 'Undelivered Mail Returned to Sender' }));
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await settled(), 'the queue drained', context());
    t.equal(mbox('ar-frank').length, 3, 'the bounce is delivered', context());
    t.equal(mbox('ar-erin').length, 1, 'no reply', context());
    t.match(readIfExists(join(work, 'log/autoreply.log')), /not sent to .*ar-erin@localhost>?: bounce/, 'the log names the rule');
  });

  t.test('.forward with |autoreply vacation', async (t) => {
    removeSystemMailbox('ar-erin');
    const r = send('ar-erin@localhost', 'ar-gina@localhost', message({ From: 'ar-erin@localhost', To: 'ar-gina@localhost', Subject: 'Hello Gina', 'Message-ID': '<hg.1@localhost>' }));
    t.equal(r.status, 0, { stderr: r.stderr });
    t.ok(await settled(), 'the queue drained', context());
    t.equal(mbox('ar-gina').length, 1, 'original delivered (\\ar-gina)', context());
    const replies = mbox('ar-erin');
    t.equal(replies.length, 1, 'one reply', context());
    t.equal(header(replies[0]!, 'Subject'), 'On vacation');
    t.equal(header(replies[0]!, 'Return-Path'), '<>');
    t.equal(header(replies[0]!, 'In-Reply-To'), '<hg.1@localhost>');
    t.match(replies[0]!.body, /^Back on Monday\.\n/);
    const again = send('ar-erin@localhost', 'ar-gina@localhost', message({ From: 'ar-erin@localhost', To: 'ar-gina@localhost', Subject: 'Hello again' }));
    t.equal(again.status, 0);
    t.ok(await settled(), 'the queue drained', context());
    t.equal(mbox('ar-gina').length, 2, context());
    t.equal(mbox('ar-erin').length, 1, 'no second reply', context());
  });

  t.test('Postfix sendmail and a reply without recipients', async (t) => {
    // to expands to nothing: without --exim-strict autoreply does not run sendmail at all
    const msg = message({ From: 'ar-erin@localhost', To: 'ar-frank@localhost', Subject: 'x', 'Message-ID': '<nr.1@localhost>' });
    const base = ['--to', '$h_x-no-such-header:', '--subject', 'auto', '--text', 'hi', '--sender', 'ar-erin@localhost'];
    const plain = runProgram(app.bin, base, { input: msg });
    t.equal(plain.status, 0, 'exit 0, nothing to send', { stderr: plain.stderr });
    // with --exim-strict it is handed to Postfix's sendmail, as Exim does; Postfix
    // refuses a message without recipients, and that is a success ("nothing to send"), not a retry
    const sm = run('/usr/sbin/sendmail', ['-t', '-oem', '-oi', '-f', '<>'], { input: 'To: \nSubject: auto\n\nhi\n' });
    t.comment(`Postfix sendmail -t without recipients: exit ${sm.status}: ${sm.stderr.trim()}`);
    const strict = runProgram(app.bin, ['--exim-strict', ...base], { input: msg });
    t.equal(strict.status, 0, 'exit 0 under --exim-strict too', { stderr: strict.stderr });
    t.ok(await settled(), 'nothing left in the queue', context());
    t.equal(mbox('ar-erin').length, 1, 'no bounce and no reply came back', context());
  });
}
