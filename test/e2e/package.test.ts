/**
 * The package as a user installs it: `npm pack`, then `npm install -g --prefix
 * DIR` of that tarball (install.ts; the installation the other end-to-end tests
 * run too). The tarball ships what a fresh machine needs; DIR/bin/autoreply runs
 * with its bundle and code cache, and with lmdb's native addon from the installed
 * dependencies (a delivery with --once, as an unprivileged user); `man` finds the
 * page under DIR/share/man; a real Exim delivery through the installed
 * examples/exim/transport.conf with that path replies; `npm uninstall -g`
 * removes it again.
 *
 * Needs root (local users, Exim) and Debian's exim4-daemon-light; the manual
 * page check needs man-db.
 */
import t from 'tap';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  PROJECT,
  builtReason,
  checkRunnableBy,
  ensureUser,
  eximDropQueued,
  eximSettled,
  eximSkipReason,
  header,
  mailboxAfterDelivery,
  message,
  missingPackage,
  oneRunAtATime,
  openUp,
  parseMbox,
  programCommand,
  readIfExists,
  removeSystemMailbox,
  run,
  runAs,
  runAsync,
  runProgram,
  systemEximDeliversLocally,
  tailFile,
} from './helpers.js';
import { eximWorld } from './exim-setup.js';
import { sharedInstall } from './install.js';

const skip = eximSkipReason() ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  await oneRunAtATime('package');
  const app = await sharedInstall();
  const pkgJson = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { name: string; version: string };
  /** The build a bundle names in its last line (`//# build=ID`). */
  const buildOf = (bundle: string) => /\/\/# build=([0-9a-f]+)\n$/.exec(readIfExists(bundle).slice(-64))?.[1];

  t.test('the tarball ships what an installation needs, and nothing of the checkout', async (t) => {
    const list = run('tar', ['-tzf', app.tarball]);
    t.equal(list.status, 0, 'tar -tzf', { stderr: list.stderr });
    const files = list.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const build = buildOf(join(PROJECT, 'dist/autoreply.cjs'));
    t.ok(build, 'the checkout has a build');
    for (const f of [
      'package.json',
      'bin/autoreply',
      'bin/package.json',
      'dist/autoreply.cjs',
      `dist/autoreply.cjs.${build}.cache`,
      'man/autoreply.1',
      'README.md',
      'examples/vacation.conf',
      'examples/exim/transport.conf',
    ]) {
      t.ok(files.includes(f), `ships ${f}`);
    }
    // the chunks loaded on demand (lmdb, postgres, redis, commands, ...) ship with their caches
    const chunks = readdirSync(join(PROJECT, 'dist')).filter((f) => /^autoreply-[a-z]+\.cjs$/.test(f));
    t.ok(chunks.length >= 3, 'the checkout has chunks', { chunks });
    for (const chunk of chunks) {
      const id = buildOf(join(PROJECT, 'dist', chunk));
      t.ok(files.includes(`dist/${chunk}`) && files.includes(`dist/${chunk}.${id}.cache`), `ships dist/${chunk} and its cache`);
    }
    t.same(
      files.filter((f) => /^(src|test|scripts|node_modules|\.ci|\.tap)\//.test(f) || f === 'tsconfig.json' || f === 'package-lock.json'),
      [],
      'no sources, tests, scripts or dependencies',
    );
  });

  t.test('DIR/bin/autoreply: bundle, code cache, version', async (t) => {
    t.ok(lstatSync(app.bin).isSymbolicLink(), 'bin/autoreply links into the package');
    t.equal(resolve(join(app.prefix, 'bin'), readlinkSync(app.bin)), join(app.pkg, 'bin/autoreply'));
    const build = buildOf(join(app.pkg, 'dist/autoreply.cjs'));
    t.equal(build, buildOf(join(PROJECT, 'dist/autoreply.cjs')), 'the installed bundle is this build');
    const cache = join(app.pkg, `dist/autoreply.cjs.${build}.cache`);
    t.ok(existsSync(cache), 'its code cache is installed beside it');
    // the launcher's own way of using the cache (bin/autoreply): does this node accept it?
    const probe = run('/usr/bin/env', [
      '-u',
      'NODE_OPTIONS',
      process.execPath,
      '-e',
      `const { readFileSync } = require('node:fs'); const { Script } = require('node:vm');
       const [bundle, cache] = process.argv.slice(1);
       const s = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(bundle, 'utf8') + '\\n})', { filename: bundle, cachedData: readFileSync(cache) });
       process.stdout.write(s.cachedDataRejected ? 'rejected' : 'accepted');`,
      join(app.pkg, 'dist/autoreply.cjs'),
      cache,
    ]);
    t.equal(probe.stdout, 'accepted', 'node accepts the installed code cache', { stderr: probe.stderr });

    const v = runProgram(app.bin, ['--version'], { cwd: '/' });
    t.equal(v.status, 0, 'autoreply --version exits 0', { stderr: v.stderr });
    const unknown = v.stdout.trim() === 'unknown';
    t.equal(v.stdout.trim(), pkgJson.version, 'autoreply --version prints the package version', {
      todo: unknown && 'src: yargs .version() guesses package.json from the bundle\'s folder up to "node_modules", and finds none when installed',
    });
  });

  t.test('a delivery with --once (lmdb and its native addon) as an unprivileged user', async (t) => {
    const work = mkdtempSync('/tmp/autoreply-e2e-package-');
    openUp(work);
    t.teardown(() => rmSync(work, { recursive: true, force: true }));
    ensureUser('ar-nick', join(work, 'home/ar-nick'));
    t.equal(checkRunnableBy('ar-nick', app.bin), undefined, 'runs as ar-nick');
    const once = join(work, 'home/ar-nick/once.db');
    const msg = message({ From: 'Alice <alice@example.org>', To: 'ar-nick@localhost', Subject: 'Installed?', 'Message-ID': '<pkg.1@example.org>' });
    const args = `--sender alice@example.org --recipient ar-nick@localhost --to '$reply_address' --subject 'Re: $h_subject:' --text 'Yes.' --once ${once} --sendmail /bin/true`;
    const first = runAs('ar-nick', `cd / && ${programCommand(app.bin, args)}`, { input: msg });
    t.equal(first.status, 0, 'the delivery exits 0', { stderr: first.stderr });
    t.ok(existsSync(once), 'the once database was created');
    const list = runAs('ar-nick', programCommand(app.bin, `once list --once ${once}`));
    t.equal(list.status, 0, 'autoreply once list', { stderr: list.stderr });
    t.match(list.stdout, /alice@example\.org/, 'the reply is recorded');
    const again = runAs('ar-nick', `cd / && ${programCommand(app.bin, `${args} --verbose`)}`, { input: msg });
    t.equal(again.status, 0, { stderr: again.stderr });
    t.match(again.stderr, /previously sent|already/, 'the second delivery finds the record');
    t.ok(existsSync(join(app.pkg, 'node_modules/lmdb')), 'lmdb is installed with the package');
  });

  t.test('man finds the page under DIR/share/man', { skip: missingPackage('man-db', '/usr/bin/man') }, async (t) => {
    const manpath = join(app.prefix, 'share/man');
    const where = run('man', ['-w', 'autoreply'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MANPATH: manpath } });
    t.equal(where.status, 0, 'MANPATH=DIR/share/man man -w autoreply', { stderr: where.stderr });
    // man -w names the file behind the link npm made in DIR/share/man/man1
    t.equal(realpath(where.stdout.trim()), realpath(join(manpath, 'man1/autoreply.1')), 'the installed page', { stdout: where.stdout });
    const page = run('man', ['-M', manpath, 'autoreply'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
    t.equal(page.status, 0, 'man -M DIR/share/man autoreply', { stderr: page.stderr });
    t.match(page.stdout, /autoreply\s+-\s+answer\s+incoming\s+mail\s+automatically/, 'it renders');
  });

  t.test('a real Exim delivery through the installed examples/exim/transport.conf', async (t) => {
    const world = eximWorld(`${app.bin} --config ${join(app.examples, 'vacation.conf')}`, app.examples);
    const home = (u: string) => join(world.work, 'home', u);
    ensureUser('ar-nick', home('ar-nick'));
    ensureUser('ar-nora', home('ar-nora'));
    for (const u of ['ar-nick', 'ar-nora']) removeSystemMailbox(u);
    eximDropQueued(['ar-nick@localhost', 'ar-nora@localhost']);
    t.teardown(() => {
      if (process.env.AUTOREPLY_E2E_KEEP) return;
      for (const u of ['ar-nick', 'ar-nora']) removeSystemMailbox(u);
      world.cleanup();
    });
    writeFileSync(join(home('ar-nick'), '.vacation.msg'), 'Installed and away.\n');
    t.equal(systemEximDeliversLocally('ar-nora'), undefined, 'the system Exim delivers @localhost to /var/mail');
    const replies = () => parseMbox(readIfExists('/var/mail/ar-nora'));
    const r = world.deliver(
      'ar-nora@localhost',
      'ar-nick@localhost',
      message({ From: 'Nora <ar-nora@localhost>', To: 'ar-nick@localhost', Subject: 'From the package', 'Message-ID': '<pkg.2@localhost>' }),
    );
    t.equal(r.status, 0, 'exim accepted the message', { stderr: r.stderr });
    const mail = await mailboxAfterDelivery(replies, 1, 'ar-nora@localhost');
    const context = { eximLog: tailFile(world.mainlog), vacationLog: readIfExists(join(home('ar-nick'), '.vacation.log')) };
    t.equal(parseMbox(readIfExists(world.mailbox('ar-nick'))).length, 1, 'the original is delivered', context);
    t.equal(mail.length, 1, 'one reply', context);
    if (mail[0]) {
      t.equal(header(mail[0], 'Subject'), 'Re: From the package');
      t.equal(header(mail[0], 'Return-path'), '<>');
      t.match(mail[0].body, /Installed and away\./);
    }
    t.ok(await eximSettled('ar-nora@localhost'), 'nothing left in the queue');
  });

  t.test('npm uninstall -g removes it', async (t) => {
    // a copy of the installation, so that the other test files keep theirs
    const copy = mkdtempSync('/tmp/autoreply-e2e-uninstall-');
    t.teardown(() => rmSync(copy, { recursive: true, force: true }));
    const cp = run('cp', ['-a', `${app.prefix}/.`, copy]);
    t.equal(cp.status, 0, 'cp -a', { stderr: cp.stderr });
    t.ok(existsSync(join(copy, 'bin/autoreply')), 'the copy runs from its own folder');
    const r = await runAsync('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'npm', 'uninstall', '-g', '--prefix', copy, pkgJson.name, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: copy,
      timeout: 300000,
    });
    t.equal(r.status, 0, 'npm uninstall -g --prefix DIR autoreply', { stderr: r.stderr });
    for (const f of ['bin/autoreply', 'share/man/man1/autoreply.1', 'lib/node_modules/autoreply']) {
      t.notOk(existsSync(join(copy, f)) || isLink(join(copy, f)), `${f} is gone`);
    }
  });
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return `(no ${path})`;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
