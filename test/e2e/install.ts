/**
 * The program as the MTAs of the end-to-end tests run it: packed with `npm pack`
 * and installed with `npm install -g --prefix DIR` into a world-readable folder
 * under /tmp, so that the users the MTA runs autoreply as (the mailbox owner,
 * Postfix's pipe user) can run it even when the checkout itself is closed to
 * them (cloned into a mode-700 folder).
 *
 * One installation serves every end-to-end test file of a test run:
 * /tmp/autoreply-e2e-install-PROJECT-RUNNER-KEY, where PROJECT names this
 * checkout, RUNNER is the process id of the test runner (tap, the parent of
 * every test file of the run) and KEY hashes what the package ships
 * (package.json and the files it lists: the build in dist/, bin/, man/,
 * examples/), so that a rebuild gets a new one.
 *  - node_modules/.cache/autoreply-e2e/install.lock: the test file that finds
 *    the installation missing makes it while holding this lock; the others wait
 *    for it and use the same one;
 *  - the first one also starts a small watcher (sh, detached) that removes the
 *    installation as soon as the test runner has exited: the end of the run;
 *  - installations whose runner is gone (a killed run, a killed watcher) are
 *    removed by the next run of this checkout.
 * AUTOREPLY_E2E_KEEP=1 keeps the installation.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { PROJECT, flockFd, runAsync, type Run } from './helpers.js';

const LOCKS = join(PROJECT, 'node_modules/.cache/autoreply-e2e');
const TAG = `autoreply-e2e-install-${createHash('sha256').update(PROJECT).digest('hex').slice(0, 10)}-`;

export interface Installed {
  /** The --prefix folder. */
  prefix: string;
  /** PREFIX/bin/autoreply: what the MTA configurations run. */
  bin: string;
  /** The installed package: PREFIX/lib/node_modules/autoreply. */
  pkg: string;
  /** The examples as installed (readable by every user). */
  examples: string;
  /** The tarball `npm pack` made. */
  tarball: string;
}

/** The files the package ships, from package.json "files" (every file under a listed folder). */
function shippedFiles(): string[] {
  const pkg = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { files?: string[] };
  const out: string[] = ['package.json'];
  const walk = (rel: string) => {
    const abs = join(PROJECT, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) for (const e of readdirSync(abs).sort()) walk(join(rel, e));
    else out.push(rel);
  };
  for (const f of pkg.files ?? []) walk(f);
  return out;
}

/** A hash of what `npm pack` would ship: names and contents. */
async function packageKey(): Promise<string> {
  const h = createHash('sha256');
  for (const f of shippedFiles()) {
    h.update(`${f}\0`);
    for await (const chunk of createReadStream(join(PROJECT, f))) h.update(chunk as Buffer);
    h.update('\0');
  }
  h.update(process.version);
  return h.digest('hex').slice(0, 16);
}

/** npm, without the test runner's loader in NODE_OPTIONS (cleanEnv drops npm_* too). */
const npm = (args: string[], cwd: string): Promise<Run> =>
  runAsync('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'npm', ...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, timeout: 300000 });

function describe(what: string, r: Run): string {
  return `${what} exited ${r.status}: ${r.stderr.trim()} ${r.stdout.trim()}`.trim();
}

/**
 * `npm pack` this checkout into `dir` (without the prepare script: `npm test` has
 * just built dist/), then `npm install -g --prefix PREFIX` that tarball, as a user
 * installing a release would. Folders are created world-readable (0755).
 */
export async function packAndInstall(dir: string, prefix: string): Promise<Installed> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  const pack = await npm(['pack', '--ignore-scripts', '--pack-destination', dir, PROJECT], dir);
  const name = pack.stdout.trim().split('\n').pop() ?? '';
  const tarball = join(dir, name);
  if (pack.status !== 0 || !name.endsWith('.tgz') || !existsSync(tarball)) throw new Error(describe('npm pack', pack));
  // --prefer-offline: the dependencies npm ci just fetched are in npm's cache
  const install = await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], dir);
  if (install.status !== 0) throw new Error(describe(`npm install -g --prefix ${prefix} ${tarball}`, install));
  const pkg = join(prefix, 'lib/node_modules/autoreply');
  const bin = join(prefix, 'bin/autoreply');
  if (!existsSync(bin)) throw new Error(`npm install -g --prefix ${prefix} made no ${bin}: ${install.stdout}`);
  return { prefix, bin, pkg, examples: join(pkg, 'examples'), tarball };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove this checkout's installations whose test runner has exited. */
function removeStale(): void {
  for (const e of readdirSync('/tmp')) {
    if (!e.startsWith(TAG)) continue;
    const runner = Number(e.slice(TAG.length).split('-')[0]);
    if (!Number.isInteger(runner) || runner <= 1 || !alive(runner)) rmSync(join('/tmp', e), { recursive: true, force: true });
  }
}

/** A detached sh that removes `dir` once process `runner` has exited (polls every second). */
function removeAfter(runner: number, dir: string): void {
  const watcher = execa('/bin/sh', ['-c', 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; rm -rf -- "$1"', String(runner), dir], {
    detached: true,
    stdio: 'ignore',
    cleanup: false,
    reject: false,
  });
  watcher.unref();
}

/** The test run's installation: made by the first test file that asks, removed when the run ends. */
export async function sharedInstall(): Promise<Installed> {
  const runner = process.ppid;
  const key = await packageKey();
  const dir = `/tmp/${TAG}${runner}-${key}`;
  const done = join(dir, 'installed');
  mkdirSync(LOCKS, { recursive: true });
  const mutex = openSync(join(LOCKS, 'install.lock'), 'a', 0o600);
  try {
    if (!(await flockFd(mutex, 600))) throw new Error(`${LOCKS}/install.lock: not free within 10 minutes`);
    if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Installed;
    removeStale();
    rmSync(dir, { recursive: true, force: true });
    if (!process.env.AUTOREPLY_E2E_KEEP) removeAfter(runner, dir);
    let installed: Installed;
    try {
      installed = await packAndInstall(dir, join(dir, 'prefix'));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    writeFileSync(done, JSON.stringify(installed));
    return installed;
  } finally {
    closeSync(mutex);
  }
}
