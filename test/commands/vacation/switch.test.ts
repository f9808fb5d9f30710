/**
 * `autoreply vacation on|off|status` (src/commands/vacation/switch.ts) on real
 * files in a temporary home, run in process with the account, the program
 * path, the clock and standard input given (as root the command would become the
 * named user; test/e2e/vacation-onoff.test.ts runs it for real, with Exim).
 */
import t, { type Test } from 'tap';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { accountFor, parsePasswdLine, type Account } from '../../../src/commands/vacation/account.js';
import { runVacationSwitch, type SwitchDeps } from '../../../src/commands/vacation/switch.js';
import { expansionProblems } from '../../../src/commands/vacation/message-text.js';
import { AutoreplyError } from '../../../src/errors.js';
import { LmdbOnceStore } from '../../../src/once/lmdb/store.js';
import { runText } from '../../helpers/exec.js';
import { bytes } from '../../../src/bytes.js';

const PROJECT = resolve(import.meta.dirname, '../../..');
const NOW = new Date('2026-07-12T08:03:00Z');

interface World {
  home: string;
  account: Account;
  program: string;
  file: (name: string) => string;
  read: (name: string) => string | undefined;
  /** Run a subcommand: exit code (an AutoreplyError's when it fails), stdout and stderr lines. */
  run: (args: string[], extra?: Partial<SwitchDeps>) => Promise<{ code: number; out: string; err: string }>;
}

function world(t: Test): World {
  const home = mkdtempSync(join(tmpdir(), 'autoreply-vacation-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const bin = mkdtempSync(join(tmpdir(), 'autoreply-vacation-bin-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  const program = join(bin, 'autoreply');
  writeFileSync(program, '#!/bin/sh\necho 0.1.0\n', { mode: 0o755 });
  const account: Account = { name: 'carol', uid: process.getuid!(), gid: process.getgid!(), home, fullName: 'Carol Example' };
  const file = (name: string) => join(home, name);
  const read = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), 'latin1') : undefined);
  const run = async (args: string[], extra: Partial<SwitchDeps> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    let code = 0;
    try {
      code = await runVacationSwitch(args, { account, program, now: NOW, stdin: () => undefined, out: (l) => out.push(l), err: (l) => err.push(l), ...extra });
    } catch (e) {
      if (!(e instanceof AutoreplyError)) throw e;
      code = e.exitCode;
      err.push(`autoreply: ${e.message}`);
    }
    return { code, out: out.map((l) => `${l}\n`).join(''), err: err.map((l) => `${l}\n`).join('') };
  };
  return { home, account, program, file, read, run };
}

t.test('no .forward: on, status, off', async (t) => {
  const w = world(t);
  const on = await w.run(['on']);
  t.equal(on.code, 0, on.err);
  t.equal(on.err, '', 'no warning for the default text');
  t.match(on.out, /^vacation on for carol since 2026-07-12 \d\d:03 [+-]\d\d:\d\d\n/);
  t.match(on.out, /replies: +until "autoreply vacation off"/);
  t.match(on.out, /message: +.*\.vacation\.msg: written from the default text \("I am away and not reading my mail at the moment\."\)/);
  const forward = w.read('.forward')!;
  t.equal(
    forward,
    '# autoreply vacation on since 2026-07-12T08:03:00Z; "autoreply vacation off" removes this file (there was no .forward before)\n' +
      `\\carol, "|${w.program} vacation --fire-and-forget"\n`,
  );
  t.equal(statSync(w.file('.forward')).mode & 0o777, 0o644, '.forward: 0644 (never group or world writable: Exim and Postfix refuse those)');
  t.notOk(existsSync(w.file('.forward.autoreply-saved')), 'nothing to save');
  const msg = w.read('.vacation.msg')!;
  t.match(msg, /^I am away and not reading my mail at the moment\.\nYour message \$\{if def:h_subject: \{"\$h_subject:" \}\}will be read when I am back\.\n\nBest regards,\nCarol Example\n$/);
  t.same(expansionProblems(bytes(msg), w.home, 'carol'), [], 'the default text expands');

  const st = await w.run(['status']);
  t.equal(st.code, 0);
  t.match(st.out, /^vacation: +on since 2026-07-12 \d\d:03 [+-]\d\d:\d\d\n/);
  t.match(st.out, /\nreplies: +until switched off\n/);
  t.match(st.out, /\nmessage: +"I am away and not reading my mail at the moment\." \(.*\.vacation\.msg\)\n/);
  t.match(st.out, /\nanswered: +nobody yet \(.*\.vacation does not exist\)\n/);
  t.match(st.out, /\n\.forward: +written by "autoreply vacation on" \(there was none before; "off" removes it\)\n/);

  const off = await w.run(['off']);
  t.equal(off.code, 0, off.err);
  t.match(off.out, /^vacation off for carol \(on since 2026-07-12 .*\)\n\.forward: +.*\.forward removed \(there was none before\)\nkept: +.*\.vacation\.msg /);
  t.notOk(existsSync(w.file('.forward')), 'no .forward, as before');
  t.ok(existsSync(w.file('.vacation.msg')), 'the message stays for next time');

  const st2 = await w.run(['status']);
  t.match(st2.out, /^vacation: +off\nmessage: +"I am away .*" \(.*\.vacation\.msg, kept for next time\)\nanswered: +nobody yet/);
  const again = await w.run(['off']);
  t.equal(again.code, 0);
  t.match(again.out, /^vacation is off already for carol: nothing changed\n/);
});

t.test('a previous .forward comes back byte for byte, mode and all', async (t) => {
  const w = world(t);
  const previous = '# to my phone as well\r\n\\carol,\r\ncarol@phone.example'; // CRLF, no final line end
  writeFileSync(w.file('.forward'), previous, { encoding: 'latin1', mode: 0o600 });
  chmodSync(w.file('.forward'), 0o600);
  const before = lstatSync(w.file('.forward'));
  const on = await w.run(['on', '--end', '2026-07-26']);
  t.equal(on.code, 0, on.err);
  t.match(on.out, /\.forward: +.*\.forward keeps your previous deliveries and pipes a copy into autoreply; the previous one is .*\.forward\.autoreply-saved and comes back with "autoreply vacation off"/);
  const saved = lstatSync(w.file('.forward.autoreply-saved'));
  t.equal(saved.ino, before.ino, 'the saved file is the very file (a hard link)');
  const forward = w.read('.forward')!;
  t.equal(
    forward,
    '# autoreply vacation on since 2026-07-12T08:03:00Z; "autoreply vacation off" puts back the previous .forward, saved as .forward.autoreply-saved\r\n' +
      `${previous}\r\n"|${w.program} vacation --fire-and-forget --end 2026-07-26"\r\n`,
  );
  t.equal(statSync(w.file('.forward')).mode & 0o777, 0o600, 'the new .forward keeps the mode of the old');
  t.match(w.read('.vacation.msg')!, /^I am away until Sunday 26 July 2026 and not reading my mail\.\n/, 'the default text names the end');

  const st = await w.run(['status']);
  t.match(st.out, /\nreplies: +until 2026-07-26 23:59 [+-]\d\d:\d\d\n/);
  t.match(st.out, /\n\.forward: +your previous \.forward comes back with "autoreply vacation off" \(saved as .*\.forward\.autoreply-saved\)\n/);

  const off = await w.run(['off']);
  t.equal(off.code, 0, off.err);
  t.match(off.out, /\.forward: +.*\.forward is back as it was before\n/);
  t.equal(w.read('.forward'), previous, 'byte for byte');
  const after = lstatSync(w.file('.forward'));
  t.same([after.ino, after.mode, after.mtimeMs], [before.ino, before.mode, before.mtimeMs], 'the same file: inode, mode, times');
  t.notOk(existsSync(w.file('.forward.autoreply-saved')), 'no saved copy left');
});

t.test('on again replaces the settings and keeps the saved file', async (t) => {
  const w = world(t);
  writeFileSync(w.file('.forward'), '\\carol\n');
  t.equal((await w.run(['on'])).code, 0);
  const r = await w.run(['on', '--start', '2026-07-13 09:00', '--end', '2026-07-26T17:30+02:00', '--alias', 'carol@example.org', '--alias', 'c.example@example.org'], {
    now: new Date('2026-07-12T12:00:00Z'),
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^vacation still on for carol \(since 2026-07-12 .*\): settings replaced\n/);
  t.match(r.out, /\naliases: +carol@example\.org, c\.example@example\.org\n/);
  t.match(r.out, /\nmessage: +.*: kept as it was \("I am away and not reading my mail at the moment\."\)/);
  t.equal(
    w.read('.forward'),
    '# autoreply vacation on since 2026-07-12T08:03:00Z; "autoreply vacation off" puts back the previous .forward, saved as .forward.autoreply-saved\n\\carol\n' +
      `"|${w.program} vacation --fire-and-forget --start 2026-07-13T09:00 --end 2026-07-26T17:30+02:00 --alias carol@example.org --alias c.example@example.org"\n`,
    'a space between date and time becomes T',
  );
  t.equal(w.read('.forward.autoreply-saved'), '\\carol\n');
  const st = await w.run(['status'], { now: new Date('2026-07-12T12:00:00Z') });
  t.match(st.out, /\nreplies: +from 2026-07-13 09:00 .* until 2026-07-26 \d\d:30 .*: not started yet\n/);
  t.match(st.out, /\naliases: +carol@example\.org, c\.example@example\.org\n/);
  const late = await w.run(['status'], { now: new Date('2026-08-01T00:00:00Z') });
  t.match(late.out, /: ended, nothing is answered any more/);
  t.equal((await w.run(['off'])).code, 0);
  t.equal(w.read('.forward'), '\\carol\n');
});

t.test('the message: --message FILE, standard input, kept, default', async (t) => {
  const w = world(t);
  const text = 'Back on Monday.\nRe: "$h_subject:"\nMy rate is $HOME per hour.\n';
  const src = join(w.home, 'away.txt');
  writeFileSync(src, text);
  const r = await w.run(['on', '--message', src]);
  t.equal(r.code, 0, r.err);
  t.equal(w.read('.vacation.msg'), text, 'copied as it is');
  t.match(r.out, /message: +.*\.vacation\.msg: written from .*away\.txt/);
  t.match(r.err, /^autoreply: warning: .*\.vacation\.msg line 3 does not expand \(unknown variable name "HOME"\): it is sent as written\n$/, 'a line that will not expand is named');

  const piped = await w.run(['on'], { stdin: () => Buffer.from('From standard input.\n') });
  t.equal(piped.code, 0, piped.err);
  t.equal(w.read('.vacation.msg'), 'From standard input.\n');
  t.match(piped.out, /written from standard input/);

  const dash = await w.run(['on', '--message', '-'], { stdin: () => Buffer.from('Dash.\n') });
  t.equal(dash.code, 0);
  t.equal(w.read('.vacation.msg'), 'Dash.\n');

  const empty = await w.run(['on'], { stdin: () => Buffer.from('  \n') });
  t.equal(empty.code, 0, 'an empty standard input is no text: the one there is stays');
  t.equal(w.read('.vacation.msg'), 'Dash.\n');

  for (const [content, why] of [
    ['', /the message text from .*empty\.txt is empty/],
    ['a\0b\n', /holds NUL bytes/],
  ] as const) {
    writeFileSync(join(w.home, 'empty.txt'), content);
    const bad = await w.run(['on', '--message', join(w.home, 'empty.txt')]);
    t.equal(bad.code, 65, 'exit 65: the text is unusable');
    t.match(bad.err, why);
  }
  const missing = await w.run(['on', '--message', join(w.home, 'nope.txt')]);
  t.equal(missing.code, 64);
  t.match(missing.err, /--message .*nope\.txt: cannot read it \(ENOENT\)/);
  t.equal(w.read('.vacation.msg'), 'Dash.\n', 'a failed on changed nothing');
});

t.test('dates and aliases are checked', async (t) => {
  const w = world(t);
  for (const [args, code, why] of [
    [['--end', '2026-07-01'], 64, /--end 2026-07-01: that is over/],
    [['--start', '2026-07-20', '--end', '2026-07-14'], 64, /--start 2026-07-20 is after --end 2026-07-14/],
    [['--end', 'next friday'], 64, /is not a date \(YYYY-MM-DD\) or an ISO date-time/],
    [['--end', '2026-02-30'], 64, /is not a date/],
    [['--alias', 'Carol <c@example.org>'], 64, /--alias "Carol <c@example\.org>": give a plain address/],
    [['--alias', 'carol'], 64, /give a plain address/],
    [['extra'], 64, /Unknown argument: extra/],
    [['--bogus'], 64, /Unknown argument: bogus/],
  ] as const) {
    const r = await w.run(['on', ...args]);
    t.equal(r.code, code, args.join(' '));
    t.match(r.err, why);
  }
  t.notOk(existsSync(w.file('.forward')), 'nothing was written');
  t.notOk(existsSync(w.file('.vacation.msg')));
});

t.test('refusals leave every file as it was (exit 78)', async (t) => {
  const w = world(t);
  const cases: [string, RegExp][] = [
    ['# Exim filter\nunseen pipe "/usr/bin/true"\n', /\.forward is an Exim filter/],
    ['\\carol, "|/usr/bin/procmail"\n', /\.forward pipes mail into a program/],
    ['\\carol, :include:/etc/more\n', /\.forward includes another file/],
  ];
  for (const [content, why] of cases) {
    writeFileSync(w.file('.forward'), content);
    const r = await w.run(['on']);
    t.equal(r.code, 78, why.source);
    t.match(r.err, why);
    t.notMatch(r.err.trim(), /\n/, 'one line');
    t.equal(w.read('.forward'), content, 'untouched');
    t.notOk(existsSync(w.file('.forward.autoreply-saved')));
    t.notOk(existsSync(w.file('.vacation.msg')), 'no message written either');
  }
  rmSync(w.file('.forward'));
  symlinkSync('/etc/hostname', w.file('.forward'));
  const link = await w.run(['on']);
  t.equal(link.code, 78);
  t.match(link.err, /\.forward is a symbolic link: autoreply does not edit files through links/);
  t.ok(lstatSync(w.file('.forward')).isSymbolicLink());
  const st = await w.run(['status']);
  t.equal(st.code, 0, 'status still reports');
  t.match(st.out, /\.forward: +.*symbolic link/);
});

t.test('the program written into .forward must start as the MTA starts it', async (t) => {
  const w = world(t);
  const failing = join(w.home, 'broken');
  writeFileSync(failing, '#!/bin/sh\necho "env: \'node\': No such file or directory" >&2\nexit 127\n', { mode: 0o755 });
  const r = await w.run(['on'], { program: failing });
  t.equal(r.code, 78);
  t.match(r.err, /broken does not start as the MTA will run it \(as carol, PATH=\/usr\/bin:\/bin\): env: 'node': No such file or directory/);
  const spaced = await w.run(['on'], { program: '/opt/my apps/autoreply' });
  t.equal(spaced.code, 78);
  t.match(spaced.err, /cannot be written into \.forward \(it has spaces or quotes\)/);
  const bundle = await w.run(['on'], { program: join(PROJECT, 'dist/autoreply.cjs') });
  t.equal(bundle.code, 78);
  t.match(bundle.err, /is not the autoreply program: run the installed bin\/autoreply/);
  t.notOk(existsSync(w.file('.forward')));
  // the real launcher passes
  const real = await w.run(['on'], { program: join(PROJECT, 'bin/autoreply') });
  t.equal(real.code, 0, real.err);
  t.match(w.read('.forward')!, new RegExp(`"\\|${join(PROJECT, 'bin/autoreply').replace(/[.]/g, '\\.')} vacation --fire-and-forget"`));
});

t.test('status counts the correspondents in the once database', async (t) => {
  const w = world(t);
  t.equal((await w.run(['on'])).code, 0);
  const store = new LmdbOnceStore(w.file('.vacation'), 0o600);
  const claim = (key: string, at: number) => store.claim({ key: bytes(key), scope: '', now: at, repeatMs: 7 * 86400e3, maxPerHour: 0, maxBytes: 0, keepMs: 0, note: 'On vacation' });
  const before = NOW.getTime() - 30 * 86400e3; // an earlier vacation
  await claim('alice@example.org', before);
  await claim('alice@example.org', NOW.getTime() + 3600e3);
  await claim('bob@example.org', NOW.getTime() + 7200e3);
  await claim('old@example.org', before);
  await store.close();
  const st = await w.run(['status']);
  t.match(st.out, /\nanswered: +2 correspondents since it was switched on; in all 3 correspondents \(4 replies\), the last on 2026-07-12 \d\d:03 [+-]\d\d:\d\d \(.*\.vacation\)\n/);
  t.equal((await w.run(['off'])).code, 0);
  t.ok(existsSync(w.file('.vacation')), 'off keeps the database');
  const off = await w.run(['status']);
  t.match(off.out, /\nanswered: +3 correspondents \(4 replies\), the last on /, 'the history survives off');
});

t.test('status when set up by hand, or only the saved file is left', async (t) => {
  const w = world(t);
  writeFileSync(w.file('.forward'), '\\carol, "|/usr/local/bin/autoreply vacation"\n');
  const st = await w.run(['status']);
  t.match(st.out, /^vacation: +on, set up by hand: .*\.forward pipes mail into autoreply/);
  const off = await w.run(['off']);
  t.equal(off.code, 78);
  t.match(off.err, /already pipes mail into autoreply .*remove that item yourself/);
  rmSync(w.file('.forward'));
  writeFileSync(w.file('.forward.autoreply-saved'), 'x@example.org\n');
  t.match((await w.run(['status'])).out, /^vacation: +off, but .*\.forward is missing: "autoreply vacation off" puts back/);
  t.equal((await w.run(['on'])).code, 78, 'on will not overwrite the saved file');
  const back = await w.run(['off']);
  t.equal(back.code, 0, back.err);
  t.equal(w.read('.forward'), 'x@example.org\n');
});

t.test('whose vacation: root names the user', async (t) => {
  const users: Record<string, Account> = {
    carol: { name: 'carol', uid: 1001, gid: 1001, home: '/home/carol', fullName: 'Carol' },
    root: { name: 'root', uid: 0, gid: 0, home: '/root', fullName: 'root' },
  };
  const lookup = (key: string) => Object.values(users).find((u) => u.name === key || String(u.uid) === key);
  const code = (f: () => unknown) => {
    try {
      f();
      return 0;
    } catch (e) {
      return e instanceof AutoreplyError ? `${e.exitCode} ${e.message}` : 'other';
    }
  };
  t.match(code(() => accountFor(undefined, 0, lookup)), /^64 run as root: name the user whose vacation this is with --user NAME$/);
  t.match(code(() => accountFor('root', 0, lookup)), /^64 --user root: that is root, whose vacation makes no sense/);
  t.match(code(() => accountFor('nobody-here', 0, lookup)), /^64 --user nobody-here: no such user$/);
  t.same(accountFor('carol', 0, lookup), users.carol);
  t.same(accountFor(undefined, 1001, lookup), users.carol, 'anyone else: themselves');
  t.same(accountFor('carol', 1001, lookup), users.carol);
  t.match(code(() => accountFor('root', 1001, lookup)), /^64 --user root: only root may switch another user's vacation$/);
  t.same(parsePasswdLine('carol:x:1001:1002:Carol Example,,,:/home/carol:/bin/bash'), { name: 'carol', uid: 1001, gid: 1002, home: '/home/carol', fullName: 'Carol Example' });
  t.equal(parsePasswdLine('broken:x:1:2'), undefined);
});

t.test('through bin/autoreply', async (t) => {
  const bin = join(PROJECT, 'bin/autoreply');
  const run = (args: string[]) => runText(process.execPath, [bin, ...args], { env: { NODE_OPTIONS: undefined }, extendEnv: true, input: '' });
  const help = run(['vacation', 'on', '--help']);
  t.equal(help.status, 0, help.stderr);
  for (const o of ['--message', '--start', '--end', '--alias', '--user']) t.match(help.stdout, new RegExp(`^\\s+${o}\\b`, 'm'), `on --help lists ${o}`);
  const usage = run(['vacation', 'sideways']);
  t.not(usage.status, 0, 'anything else is still the delivery (a usage error here)');
  if (process.getuid!() === 0) {
    const r = run(['vacation', 'status']);
    t.equal(r.status, 64, 'root without --user');
    t.equal(r.stderr, 'autoreply: run as root: name the user whose vacation this is with --user NAME\n');
    const nobody = run(['vacation', 'status', '--user', 'no-such-user-here']);
    t.equal(nobody.status, 64);
  }
});
