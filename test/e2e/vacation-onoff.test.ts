/**
 * `autoreply vacation on|off|status` end to end, as the person going on vacation
 * uses it: one command writes ~/.vacation.msg and a plain ~/.forward
 * (`\USER, "|.../autoreply vacation --fire-and-forget ..."`), which the system's
 * own, unmodified Exim configuration reads (Debian's "userforward" router, the
 * "address_pipe" transport); mail is delivered to the mailbox and answered once;
 * `off` puts the previous state back byte for byte and nothing is answered any
 * more. Two users:
 *  - ar-vera has no .forward and runs `autoreply vacation on --start --end`
 *    herself (su), with the default text;
 *  - ar-vince has `\ar-vince, ar-walt@localhost` (a copy to a colleague); root
 *    runs `on --user ar-vince` with the text on standard input, and his
 *    forwarding goes on while he is away and after.
 * The program is the installed package (install.ts): the path written into
 * .forward is the installed bin/autoreply, as the command finds itself.
 *
 * Needs root and Debian's exim4-daemon-light with its default configuration.
 * With AUTOREPLY_E2E_POSTFIX=1 (inside test/e2e/postfix-stage.sh, where Postfix
 * has replaced Exim) the same cases run through Postfix's local(8) instead.
 */
import t from 'tap';
import { chownSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtReason,
  checkRunnableBy,
  ensureUser,
  eximDropQueued,
  eximSettled,
  eximSkipReason,
  header,
  isRoot,
  message,
  oneRunAtATime,
  openUp,
  parseMbox,
  programCommand,
  readIfExists,
  removeSystemMailbox,
  run,
  runAs,
  runProgram,
  sleep,
  tailFile,
  userIds,
  waitUntil,
  type MboxMessage,
} from './helpers.js';
import { sharedInstall } from './install.js';

const POSTFIX = process.env.AUTOREPLY_E2E_POSTFIX === '1';

function skipReason(): string | undefined {
  if (POSTFIX) {
    if (!isRoot()) return 'needs root (creates local users)';
    if (!existsSync('/usr/sbin/postconf')) return 'Postfix is not installed (test/e2e/postfix-stage.sh installs it)';
    return builtReason();
  }
  return eximSkipReason() ?? builtReason();
}

/** Postfix has delivered everything: its queue is empty twice in a row (as postfix.test.ts waits). */
async function postfixSettled(_needle: string): Promise<boolean> {
  const empty = () => /Mail queue is empty/.test(run('/usr/sbin/postqueue', ['-p']).stdout);
  const end = Date.now() + 60000;
  while (Date.now() < end) {
    if (empty()) {
      await sleep(700);
      if (empty()) return true;
    }
    await sleep(200);
  }
  return false;
}

/** The MTA: how a message goes in, and when everything it started is delivered. */
const mta = POSTFIX
  ? {
      log: '/var/log/postfix.log',
      sendArgs: (sender: string, rcpt: string) => ['-oi', '-f', sender, rcpt],
      settled: postfixSettled,
      dropQueued: (_needles: string[]) => undefined,
    }
  : {
      log: '/var/log/exim4/mainlog',
      sendArgs: (sender: string, rcpt: string) => ['-odi', '-oi', '-f', sender, rcpt],
      settled: eximSettled,
      dropQueued: eximDropQueued,
    };

const skip = skipReason();
if (skip) {
  t.plan(0, skip);
} else {
  await oneRunAtATime('vacation-onoff');
  const app = await sharedInstall();
  const work = mkdtempSync('/tmp/autoreply-e2e-vacation-onoff-');
  openUp(work);
  const USERS = ['ar-vera', 'ar-vince', 'ar-walt', 'ar-wendy'];
  const home = (u: string) => join(work, 'home', u);
  for (const u of USERS) {
    ensureUser(u, home(u));
    removeSystemMailbox(u);
  }
  mta.dropQueued(USERS.map((u) => `${u}@localhost`));
  t.teardown(() => {
    if (process.env.AUTOREPLY_E2E_KEEP) return void t.comment(`kept ${work} and /var/mail/ar-*`);
    for (const u of USERS) removeSystemMailbox(u);
    rmSync(work, { recursive: true, force: true });
  });

  const mbox = (u: string): MboxMessage[] => parseMbox(readIfExists(`/var/mail/${u}`));
  const send = async (to: string, subject: string, id: string) => {
    const r = run('/usr/sbin/sendmail', mta.sendArgs('ar-wendy@localhost', `${to}@localhost`), {
      input: message({ From: 'Wendy <ar-wendy@localhost>', To: `${to}@localhost`, Subject: subject, 'Message-ID': `<${id}@desk.localhost>` }),
    });
    const settled = await mta.settled('@localhost');
    return { ...r, settled };
  };
  /** Wait (generously) for `user`'s mailbox to hold `n` messages, then for the queue to drain. */
  const expectMail = async (user: string, n: number) => {
    await waitUntil(() => mbox(user).length >= n, 30000, 200);
    await mta.settled('@localhost');
    return mbox(user);
  };
  const context = (u: string) => ({
    mtaLog: tailFile(mta.log, 20),
    forward: readIfExists(join(home(u), '.forward')),
    vacationLog: readIfExists(join(home(u), '.vacation.log')),
  });
  const asUser = (u: string, args: string, input = '') => runAs(u, programCommand(app.bin, args), { input });
  const asRoot = (args: string[], input = '') => runProgram(app.bin, args, { input });
  const day = (offset: number) => {
    const d = new Date(Date.now() + offset * 86400e3);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const owner = (path: string) => {
    const st = lstatSync(path);
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o777 };
  };

  t.test('setup', async (t) => {
    for (const u of ['ar-vera', 'ar-vince']) t.equal(checkRunnableBy(u, app.bin), undefined, `the installed autoreply runs as ${u}`);
  });

  t.test('no .forward before: on as the user, one reply, off, none', async (t) => {
    const u = 'ar-vera';
    const ids = userIds(u);
    const on = asUser(u, `vacation on --start ${day(-1)} --end ${day(30)}`);
    t.equal(on.status, 0, 'autoreply vacation on', { stdout: on.stdout, stderr: on.stderr });
    t.equal(on.stderr, '', 'no warnings');
    t.match(on.stdout, /^vacation on for ar-vera since /);
    const forward = readFileSync(join(home(u), '.forward'), 'latin1');
    t.match(
      forward,
      new RegExp(
        `^# autoreply vacation on since \\S+; "autoreply vacation off" removes this file \\(there was no \\.forward before\\)\\n` +
          `\\\\ar-vera, "\\|${app.bin.replace(/[.]/g, '\\.')} vacation --fire-and-forget --start ${day(-1)} --end ${day(30)}"\\n$`,
      ),
      'the .forward: \\USER and a pipe into the installed bin/autoreply (its own path), with the dates',
    );
    t.same(owner(join(home(u), '.forward')), { ...ids, mode: 0o644 }, ".forward: the user's, 0644");
    t.same(owner(join(home(u), '.vacation.msg')), { ...ids, mode: 0o644 }, ".vacation.msg: the user's");
    t.notOk(existsSync(join(home(u), '.forward.autoreply-saved')));

    const st = asUser(u, 'vacation status');
    t.equal(st.status, 0, { stderr: st.stderr });
    t.match(st.stdout, /^vacation: +on since /);
    t.match(st.stdout, /\nreplies: +from .* until /);

    const first = await send(u, 'Budget 2027', 'b1');
    t.equal(first.status, 0, 'sendmail accepted the message', { stderr: first.stderr });
    t.ok(first.settled, 'the queue drained');
    t.equal((await expectMail(u, 1)).length, 1, 'the original is in her mailbox', context(u));
    const replies = await expectMail('ar-wendy', 1);
    t.equal(replies.length, 1, 'exactly one reply', context(u));
    const reply = replies[0]!;
    t.equal(header(reply, 'Subject'), 'On vacation');
    t.equal(header(reply, 'In-Reply-To'), '<b1@desk.localhost>');
    t.equal(header(reply, 'Auto-Submitted'), 'auto-replied');
    t.match(reply.body, /^I am away until \w+ \d+ \w+ \d{4} and not reading my mail\.\nYour message "Budget 2027" will be read when I am back\.\n/, 'the default text, expanded');

    const second = await send(u, 'Budget 2027, again', 'b2');
    t.equal(second.status, 0);
    t.equal((await expectMail(u, 2)).length, 2, context(u));
    t.equal(mbox('ar-wendy').length, 1, 'no second reply within the week', context(u));
    t.match(asUser(u, 'vacation status').stdout, /\nanswered: +1 correspondent since it was switched on; in all 1 correspondent \(1 reply\)/);

    const off = asUser(u, 'vacation off');
    t.equal(off.status, 0, 'autoreply vacation off', { stderr: off.stderr });
    t.match(off.stdout, /\.forward removed \(there was none before\)/);
    t.notOk(existsSync(join(home(u), '.forward')), 'no .forward, as before');
    t.ok(existsSync(join(home(u), '.vacation')), 'the once database stays');
    t.match(asUser(u, 'vacation status').stdout, /^vacation: +off\n(.*\n)*answered: +1 correspondent \(1 reply\)/, 'status still knows whom it answered');

    // forget Wendy, so that only "off" can keep a reply back
    t.equal(asUser(u, `once forget ar-wendy@localhost --once ${join(home(u), '.vacation')}`).status, 0);
    removeSystemMailbox('ar-wendy');
    const after = await send(u, 'Budget 2028', 'b3');
    t.equal(after.status, 0);
    t.equal((await expectMail(u, 3)).length, 3, 'delivered as before', context(u));
    await sleep(500);
    t.equal(mbox('ar-wendy').length, 0, 'no reply after off', context(u));
  });

  t.test('a previous .forward: on --user as root, its forwarding goes on, off puts it back byte for byte', async (t) => {
    const u = 'ar-vince';
    const ids = userIds(u);
    const previous = '# my mail, and a copy to Walt while the project runs\n\\ar-vince, ar-walt@localhost\n';
    const fwd = join(home(u), '.forward');
    writeFileSync(fwd, previous, { mode: 0o644 });
    chownSync(fwd, ids.uid, ids.gid);
    const before = statSync(fwd);
    removeSystemMailbox('ar-wendy');

    const text = 'Vince is away this week.\nYour message "$h_subject:" waits for him.\n';
    const on = asRoot(['vacation', 'on', '--user', u], text);
    t.equal(on.status, 0, 'root: autoreply vacation on --user ar-vince, text on standard input', { stdout: on.stdout, stderr: on.stderr });
    t.match(on.stdout, /message: +.*\.vacation\.msg: written from standard input/);
    const forward = readFileSync(fwd, 'latin1');
    t.equal(
      forward,
      forward.split('\n')[0] + '\n' + previous + `"|${app.bin} vacation --fire-and-forget"\n`,
      'the previous lines, then the pipe (no second \\ar-vince)',
    );
    for (const f of ['.forward', '.forward.autoreply-saved', '.vacation.msg']) {
      t.same({ uid: owner(join(home(u), f)).uid, gid: owner(join(home(u), f)).gid }, ids, `${f} belongs to ar-vince, not root`);
    }
    t.equal(readFileSync(join(home(u), '.vacation.msg'), 'latin1'), text);

    const st = asRoot(['vacation', 'status', '--user', u]);
    t.equal(st.status, 0, { stderr: st.stderr });
    t.match(st.stdout, /^vacation: +on since .*\n(.*\n)*\.forward: +your previous \.forward comes back with "autoreply vacation off"/);

    const first = await send(u, 'Kick-off', 'k1');
    t.equal(first.status, 0, { stderr: first.stderr });
    t.equal((await expectMail(u, 1)).length, 1, 'his mailbox', context(u));
    t.equal((await expectMail('ar-walt', 1)).length, 1, "Walt's copy, as before", context(u));
    const replies = await expectMail('ar-wendy', 1);
    t.equal(replies.length, 1, 'exactly one reply', context(u));
    t.equal(replies[0]!.body, 'Vince is away this week.\nYour message "Kick-off" waits for him.\n\n');
    const second = await send(u, 'Kick-off, agenda', 'k2');
    t.equal(second.status, 0);
    t.equal((await expectMail(u, 2)).length, 2, context(u));
    t.equal(mbox('ar-wendy').length, 1, 'still one reply', context(u));

    const off = asRoot(['vacation', 'off', '--user', u]);
    t.equal(off.status, 0, { stderr: off.stderr });
    t.equal(readFileSync(fwd, 'latin1'), previous, 'the .forward is back byte for byte');
    const after = statSync(fwd);
    t.same([after.ino, after.uid, after.mode, after.mtimeMs], [before.ino, before.uid, before.mode, before.mtimeMs], 'the very file: inode, owner, mode, times');
    t.notOk(existsSync(join(home(u), '.forward.autoreply-saved')));

    t.equal(runAs(u, programCommand(app.bin, `once forget ar-wendy@localhost --once ${join(home(u), '.vacation')}`)).status, 0);
    removeSystemMailbox('ar-wendy');
    const third = await send(u, 'Kick-off, minutes', 'k3');
    t.equal(third.status, 0);
    t.equal((await expectMail(u, 3)).length, 3, context(u));
    t.equal((await expectMail('ar-walt', 3)).length, 3, 'the forwarding goes on', context(u));
    await sleep(500);
    t.equal(mbox('ar-wendy').length, 0, 'no reply after off', context(u));
  });

  t.test('refusals: an Exim filter, root without --user', async (t) => {
    const u = 'ar-vince';
    const ids = userIds(u);
    const filter = '# Exim filter\nunseen deliver ar-walt@localhost\n';
    const fwd = join(home(u), '.forward');
    writeFileSync(fwd, filter);
    chownSync(fwd, ids.uid, ids.gid);
    const r = asUser(u, 'vacation on');
    t.equal(r.status, 78, 'exit 78');
    t.match(r.stderr, /^autoreply: \S+\/\.forward is an Exim filter \("# Exim filter"\), which autoreply does not edit\n$/, 'one line');
    t.equal(readFileSync(fwd, 'latin1'), filter, 'untouched');
    const root = asRoot(['vacation', 'on']);
    t.equal(root.status, 64, 'exit 64');
    t.equal(root.stderr, 'autoreply: run as root: name the user whose vacation this is with --user NAME\n');
  });
}
