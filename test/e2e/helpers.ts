/**
 * Helpers for the end-to-end tests: a real MTA delivers into `autoreply`, whose
 * reply goes through the real sendmail into a local mailbox, and the tests read
 * that mailbox like a user would.
 *
 * The MTA runs autoreply as a local user (or a system user), who may not be able
 * to enter the checkout (cloned into a mode-700 folder, say): the tests run the
 * program from a packed and installed copy, see install.ts.
 *
 * The tests create local users named ar-* (no login shell, home in a temporary
 * folder) and remove their /var/mail files before and after. Everything stays on
 * this machine: the addresses are @localhost.
 */
import { execa, execaSync, type Options, type SyncOptions } from 'execa';
import { accessSync, chmodSync, chownSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PROJECT = resolve(import.meta.dirname, '../..');
/** The checkout's own launcher: for root only (the MTA's users may not reach it). */
export const AUTOREPLY = join(PROJECT, 'bin/autoreply');
/** The checkout's examples, read by the tests (as root) to fill in users' files. */
export const EXAMPLES = join(PROJECT, 'examples');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of this process without what the test runner adds (tap's
 * loader in NODE_OPTIONS, TAP*), nor what `npm test` adds (npm_*). (tap's
 * process-info plugin still puts its loader into NODE_OPTIONS of every child,
 * whatever env is given: start node programs through `/usr/bin/env -u
 * NODE_OPTIONS`, as runAutoreply and npm do.)
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('TAP') || k.startsWith('_TAPJS') || k.startsWith('npm_')) delete env[k];
  }
  return env;
}

type RunOptions = Omit<SyncOptions, 'input' | 'encoding' | 'reject' | 'stdout' | 'stderr'> & { input?: string | Buffer };

/** What execa answers, seen loosely: a result, or (reject: false) an error. */
interface Finished {
  exitCode?: number;
  stdout?: unknown;
  stderr?: unknown;
  failed: boolean;
  shortMessage?: string;
}

function toRun(result: unknown): Run {
  const r = result as Finished;
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  // no exit code: it did not start, was killed or timed out
  const why = r.exitCode === undefined && r.failed ? `\n${r.shortMessage ?? 'failed'}` : '';
  return { status: r.exitCode ?? null, stdout: typeof r.stdout === 'string' ? r.stdout : '', stderr: stderr + why };
}

/** Run a program (never through a shell) and wait for it; stdout/stderr as text. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Run {
  const r = execaSync(cmd, args, { timeout: 60000, env: cleanEnv(), extendEnv: false, stripFinalNewline: false, reject: false, ...opts });
  return toRun(r);
}

/** The same, without blocking the test process (for long commands: npm). */
export async function runAsync(cmd: string, args: string[], opts: Omit<Options, 'input' | 'encoding' | 'reject' | 'stdout' | 'stderr'> & { input?: string | Buffer } = {}): Promise<Run> {
  const r = await execa(cmd, args, { timeout: 120000, env: cleanEnv(), extendEnv: false, stripFinalNewline: false, reject: false, ...opts });
  return toRun(r);
}

/** Run the checkout's bin/autoreply (as root) as an MTA would: no NODE_OPTIONS from the test runner. */
export function runAutoreply(args: string[], opts: RunOptions = {}): Run {
  return run('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, AUTOREPLY, ...args], opts);
}

/** An installed autoreply (its #!/usr/bin/env node finds node on the PATH), as any user. */
export function runProgram(program: string, args: string[], opts: RunOptions = {}): Run {
  return run('/usr/bin/env', ['-u', 'NODE_OPTIONS', program, ...args], opts);
}

/** The same as a shell command line (for su -c): an installed program and its arguments. */
export const programCommand = (program: string, args: string) => `/usr/bin/env -u NODE_OPTIONS ${program} ${args}`;

/** Run a shell command line as a local user (su, no login shell needed). */
export function runAs(user: string, command: string, opts: RunOptions = {}): Run {
  return run('su', ['-s', '/bin/sh', user, '-c', command], opts);
}

/** Run and throw with everything printed when the exit code is not 0. */
export function must(cmd: string, args: string[], opts: RunOptions = {}): Run {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The program is built (dist/) and answers --version. */
export function builtReason(): string | undefined {
  const r = runAutoreply(['--version']);
  return r.status === 0 ? undefined : `bin/autoreply does not run (npm run build?): ${r.stderr.trim()}`;
}

/** Why the Exim tests cannot run here, or undefined when they can. */
export function eximSkipReason(): string | undefined {
  if (!isRoot()) return 'needs root (creates local users and runs Exim as root)';
  if (!existsSync('/usr/sbin/exim4') && !existsSync('/usr/sbin/exim')) return 'Exim is not installed (apt-get install exim4-daemon-light)';
  const v = run('/usr/sbin/exim', ['-bV']);
  if (!/Exim version/.test(v.stdout)) return 'the installed /usr/sbin/exim is not Exim (another MTA replaced it?)';
  return undefined;
}

/**
 * The MTA runs autoreply as `user`: the installed program must start for them
 * (every parent folder traversable, the package readable, node on the PATH).
 * Undefined when it does, else why not.
 */
export function checkRunnableBy(user: string, program: string): string | undefined {
  const r = runAs(user, programCommand(program, '--version'));
  return r.status === 0 ? undefined : `${program} does not run as user ${user} (the MTA runs autoreply as that user): exit ${r.status}: ${r.stderr.trim()}`;
}

/** Create (or re-home) a local user with no login shell and a home folder owned by it. */
export function ensureUser(name: string, home: string): void {
  if (run('id', ['-u', name]).status !== 0) {
    must('useradd', ['-M', '-d', home, '-s', '/usr/sbin/nologin', '-c', 'autoreply e2e test', name]);
  } else {
    must('usermod', ['-d', home, name]);
  }
  mkdirSync(home, { recursive: true });
  const uid = Number(must('id', ['-u', name]).stdout.trim());
  const gid = Number(must('id', ['-g', name]).stdout.trim());
  chownSync(home, uid, gid);
  chmodSync(home, 0o755);
}

export function userIds(name: string): { uid: number; gid: number } {
  return { uid: Number(must('id', ['-u', name]).stdout.trim()), gid: Number(must('id', ['-g', name]).stdout.trim()) };
}

/** A temporary folder every local user can traverse. */
export function openUp(dir: string): void {
  for (let d = dir; d !== '/' && d !== dirname(d); d = dirname(d)) {
    if (d === '/tmp' || d === '/var/tmp') break;
    chmodSync(d, statSync(d).mode | 0o755);
  }
}

export function removeSystemMailbox(user: string): void {
  rmSync(`/var/mail/${user}`, { force: true });
  rmSync(`/var/spool/mail/${user}`, { force: true });
}

export function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** One message of an mbox file. */
export interface MboxMessage {
  fromLine: string;
  /** Header fields in order, names as written, values unfolded and trimmed. */
  headers: [string, string][];
  body: string;
  raw: string;
}

/** One message: header fields and body (the From_ line, when there is one, first). */
export function parseMessage(raw: string, fromLine = ''): MboxMessage {
  const end = raw.search(/\n\n|^\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\n\n?/, '');
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += ' ' + line.trim();
    else if (line.includes(':')) headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
  }
  return { fromLine, headers, body, raw: fromLine ? `${fromLine}\n${raw}` : raw };
}

/** Split an mbox (From_ lines) into messages with their header fields. */
export function parseMbox(text: string): MboxMessage[] {
  if (!text) return [];
  const parts = text.split(/^(?=From \S+ )/m).filter((p) => p.startsWith('From '));
  return parts.map((raw) => {
    const nl = raw.indexOf('\n');
    return parseMessage(raw.slice(nl + 1), raw.slice(0, nl));
  });
}

/** The messages of a Maildir (new/ and cur/), oldest first (by the time in their names). */
export function readMaildir(dir: string): MboxMessage[] {
  const files: { name: string; path: string }[] = [];
  for (const sub of ['new', 'cur']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) if (!name.startsWith('.')) files.push({ name, path: join(dir, sub, name) });
  }
  // TIME.M<microseconds>P<pid>.HOST: seconds, then microseconds
  const when = (n: string) => {
    const m = /^(\d+)\.(?:M(\d+))?/.exec(n);
    return m ? Number(m[1]) * 1e6 + Number(m[2] ?? 0) : 0;
  };
  files.sort((a, b) => when(a.name) - when(b.name) || a.name.localeCompare(b.name));
  return files.map((f) => parseMessage(readIfExists(f.path).replace(/\r\n/g, '\n')));
}

/** Every value of a header (case-insensitive name). */
export function headerValues(m: MboxMessage, name: string): string[] {
  return m.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

export function header(m: MboxMessage, name: string): string | undefined {
  return headerValues(m, name)[0];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `probe` returns true, for at most `ms` milliseconds. */
export async function waitUntil(probe: () => boolean, ms = 15000, step = 200): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    await sleep(step);
  }
}

/** Is anything for ADDRESS still in the system Exim's queue (a reply not yet delivered)? */
export function eximQueueHas(needle: string, configArgs: string[] = []): boolean {
  const r = run('/usr/sbin/exim', [...configArgs, '-bp']);
  return r.stdout.includes(needle);
}

/**
 * The reply goes through /usr/sbin/sendmail with the system's Exim
 * configuration: it must deliver USER@localhost to /var/mail (Debian's default
 * "local delivery only" does). Undefined when it does, else why not.
 */
export function systemEximDeliversLocally(user: string): string | undefined {
  const r = run('/usr/sbin/exim', ['-bt', `${user}@localhost`]);
  return r.status === 0 && /router = \w+, transport = \w+/.test(r.stdout) && !/remote|smtp/.test(r.stdout)
    ? undefined
    : `the system Exim configuration does not deliver ${user}@localhost locally (Debian's default "local delivery only" does): ${r.stdout.trim()} ${r.stderr.trim()}`;
}

/**
 * Remove from the system Exim queue what earlier runs left for these addresses
 * (e.g. a message deferred because a test user's home is gone), so that waiting
 * for the queue to drain means waiting for this run.
 */
export function eximDropQueued(needles: string[]): void {
  const blocks = run('/usr/sbin/exim', ['-bp']).stdout.split(/\n(?=\s*\d+[smhdw]\s)/);
  for (const b of blocks) {
    const id = /^\s*\d+[smhdw]\s+\S+\s+(\S+-\S+-\S+)/.exec(b)?.[1];
    if (id && needles.some((n) => b.includes(n))) run('/usr/sbin/exim', ['-Mrm', id]);
  }
}

/**
 * Wait until the system Exim (the one /usr/sbin/sendmail uses) has nothing left
 * for `needle` in its queue: by then any reply autoreply submitted is in the
 * mailbox, or will never come. (sendmail returns once the reply is spooled.)
 * The deadline is generous: the machine may be busy with another test run.
 */
export async function eximSettled(needle: string): Promise<boolean> {
  return waitUntil(() => !eximQueueHas(needle), 60000, 250);
}

/**
 * Wait for the mailbox to hold `count` messages (generous deadline), then for
 * the queue to drain, and return what it holds: more than `count` means a reply
 * too many, fewer means the wait ran out.
 */
export async function mailboxAfterDelivery(read: () => MboxMessage[], count: number, needle: string): Promise<MboxMessage[]> {
  await waitUntil(() => read().length >= count, 60000, 250);
  await eximSettled(needle);
  return read();
}

/** The line of an Exim log that mentions `needle`, for failure messages. */
export function tailFile(path: string, lines = 15): string {
  const t = readIfExists(path).split('\n');
  return t.slice(-lines).join('\n');
}

/** Make `dir` and give it to `owner`. */
export function ownedDir(dir: string, owner: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = userIds(owner);
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
}

export function canRead(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** An incoming message, LF line endings. */
export function message(fields: Record<string, string>, body = 'Hello,\n\nsee you soon.\n'): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('') + '\n' + body;
}

/** Why a test cannot run without the Debian package `pkg` (its `path`), or undefined. */
export function missingPackage(pkg: string, path: string): string | undefined {
  return existsSync(path) ? undefined : `${pkg} is not installed (apt-get install ${pkg})`;
}

/**
 * Take an exclusive flock(2) on the open file `fd` through flock(1), as autoreply
 * itself does: the helper shares the open file description, so the lock stays
 * with `fd` until it is closed or this process ends. false: not within `seconds`.
 */
export async function flockFd(fd: number, seconds: number): Promise<boolean> {
  // the child gets `fd` itself as its standard input (execa takes any descriptor;
  // its types name only 0 and 3-9)
  const stdin = fd as unknown as 3;
  const r = await execa('flock', ['-x', '-w', String(seconds), '0'], { stdin, reject: false, env: cleanEnv(), extendEnv: false });
  return r.exitCode === 0;
}

/**
 * Two test runs at once (two checkouts, or a developer's run beside another)
 * would share the local users and /var/mail files of a test file: each file
 * holds an exclusive lock named after it while it runs, so that the same file of
 * two runs takes turns. (Released when the test process ends.)
 */
export async function oneRunAtATime(name: string): Promise<void> {
  const dir = existsSync('/run/lock') ? '/run/lock' : '/tmp';
  const fd = openSync(join(dir, `autoreply-e2e-${name}.lock`), 'a', 0o600);
  if (!(await flockFd(fd, 240))) {
    closeSync(fd);
    throw new Error(`another test run has held ${dir}/autoreply-e2e-${name}.lock for 4 minutes`);
  }
}
