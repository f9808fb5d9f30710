/**
 * Helpers for the end-to-end tests: a real MTA delivers into `autoreply`, whose
 * reply goes through the real sendmail into a local mailbox, and the tests read
 * that mailbox like a user would.
 *
 * The tests create local users named ar-* (no login shell, home in a temporary
 * folder) and remove their /var/mail files before and after. Everything stays on
 * this machine: the addresses are @localhost.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PROJECT = resolve(import.meta.dirname, '../..');
export const AUTOREPLY = join(PROJECT, 'bin/autoreply');
export const EXAMPLES = join(PROJECT, 'examples');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of this process without what the test runner adds. (tap's
 * process-info plugin still puts its loader into NODE_OPTIONS of every child,
 * whatever env is given: run autoreply with runAutoreply, which removes it.)
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'NODE_OPTIONS' || k.startsWith('TAP') || k.startsWith('_TAPJS')) delete env[k];
  return env;
}

/** Run a program (never through a shell); stdout/stderr as text. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): Run {
  const r = spawnSync(cmd, args, { timeout: 30000, env: cleanEnv(), ...opts });
  return {
    status: r.status,
    stdout: r.stdout ? r.stdout.toString() : '',
    stderr: (r.stderr ? r.stderr.toString() : '') + (r.error ? String(r.error) : ''),
  };
}

/** Run bin/autoreply as an MTA would: no NODE_OPTIONS from the test runner. */
export function runAutoreply(args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): Run {
  return run('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, AUTOREPLY, ...args], opts);
}

/** The same as a shell command line (for su -c). */
export const autoreplyCommand = (args: string) => `/usr/bin/env -u NODE_OPTIONS ${process.execPath} ${AUTOREPLY} ${args}`;

/** Run and throw with everything printed when the exit code is not 0. */
export function must(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): Run {
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
 * The pipe runs autoreply as a local user: the project must be reachable by
 * everybody (every parent folder traversable, bin/ and dist/ readable).
 */
export function checkProjectReadable(user: string): string | undefined {
  const r = run('su', ['-s', '/bin/sh', user, '-c', `test -r '${AUTOREPLY}' && test -r '${join(PROJECT, 'dist/autoreply.cjs')}'`]);
  return r.status === 0 ? undefined : `${PROJECT} is not readable by user ${user}: the MTA runs autoreply as that user`;
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

/** Split an mbox (From_ lines) into messages with their header fields. */
export function parseMbox(text: string): MboxMessage[] {
  if (!text) return [];
  const parts = text.split(/^(?=From \S+ )/m).filter((p) => p.startsWith('From '));
  return parts.map((raw) => {
    const nl = raw.indexOf('\n');
    const fromLine = raw.slice(0, nl);
    const rest = raw.slice(nl + 1);
    const end = rest.search(/\n\n|^\n/);
    const head = end < 0 ? rest : rest.slice(0, end);
    const body = end < 0 ? '' : rest.slice(end).replace(/^\n\n?/, '');
    const headers: [string, string][] = [];
    for (const line of head.split('\n')) {
      if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += ' ' + line.trim();
      else if (line.includes(':')) headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
    }
    return { fromLine, headers, body, raw };
  });
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
 */
export async function eximSettled(needle: string): Promise<boolean> {
  return waitUntil(() => !eximQueueHas(needle), 20000);
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
