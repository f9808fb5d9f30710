/**
 * Two "mail hosts" sharing one once database, for the race, fault and
 * migration tests of the shared servers: each host is a HOME folder, a
 * `--config` file naming the database (its own URL for it: host A over TCP,
 * host B over the Unix socket of the same server; the same file for LMDB), a
 * password file, and a recording submission program that appends one line per
 * reply: "HOST RECIPIENT" (the To: of the reply).
 *
 * Deliveries are real `bin/autoreply` processes, started without the test
 * runner's NODE_OPTIONS (startAutoreply in test/helpers/exec.ts).
 *
 * A namespace (`ns`) is one database on a backend: an LMDB file, a PostgreSQL
 * table (?table=), a Redis key prefix (?prefix=). A new namespace does not
 * exist before its first delivery (no table, no file).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromText } from '../../src/bytes.js';
import { openOnceStore } from '../../src/once/open.js';
import type { OnceEntry } from '../../src/once/store.js';
import { parseOnceTarget } from '../../src/once/url.js';
import { skipUnlessPostgres, skipUnlessRedis, startPostgres, startRedis, type PostgresServer, type RedisServer, type Teardown } from '../helpers/servers.js';
import { startAutoreply } from '../helpers/exec.js';
import { lines } from './util.js';

export type BackendName = 'lmdb' | 'postgres' | 'redis';
export const BACKENDS: BackendName[] = ['lmdb', 'postgres', 'redis'];

/** Why a backend cannot be tested here (one line), or undefined. */
export function skipBackend(name: BackendName): string | undefined {
  if (name === 'postgres') return skipUnlessPostgres();
  if (name === 'redis') return skipUnlessRedis();
  return undefined;
}

/** The mailbox every delivery answers for (OnceClaim.scope on a server). */
export const MAILBOX = 'bob@example.com';
export const PASSWORD = 'pw-Sh4red+db';

/** One backend, started for a test: the URLs of a namespace as each host names it. */
export interface SharedDb {
  name: BackendName;
  /** The `once` value of host A (TCP) and host B (Unix socket) for namespace `ns`. */
  onceA(ns: string): string;
  onceB(ns: string): string;
  /** The password the hosts read from their --once-password-file (none for LMDB). */
  password: string | undefined;
  /** Every entry of namespace `ns` (every scope), by key. */
  entries(ns: string): Promise<OnceEntry[]>;
  /** The servers (for stopping and restarting). */
  pg?: PostgresServer;
  redis?: RedisServer;
}

/** Start the backend's server (a private one, stopped by t.teardown); LMDB files go in `dir`. */
export async function startShared(name: BackendName, t: Teardown, dir: string, opts: { aof?: boolean } = {}): Promise<SharedDb> {
  if (name === 'lmdb') {
    const file = (ns: string) => join(dir, `${ns}.db`);
    return {
      name,
      onceA: file,
      onceB: file,
      password: undefined,
      entries: (ns) => readEntries(file(ns)),
    };
  }
  if (name === 'postgres') {
    const pg = await startPostgres({ t });
    const app = await pg.createRole('app', PASSWORD);
    const a = (ns: string) => `postgresql://app@127.0.0.1:${pg.port}/postgres?table=${ns}`;
    return {
      name,
      onceA: a,
      onceB: (ns) => `postgresql://app@/postgres?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}&table=${ns}`,
      password: app.password,
      entries: (ns) => readEntries(`postgresql://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${pg.port}/postgres?table=${ns}`),
      pg,
    };
  }
  const redis = await startRedis({ t, password: PASSWORD, ...(opts.aof ? { aof: true } : {}) });
  const a = (ns: string) => `redis://127.0.0.1:${redis.port}?prefix=${ns}:`;
  return {
    name,
    onceA: a,
    onceB: (ns) => `redis+unix://${redis.socketPath}?prefix=${ns}:`,
    password: PASSWORD,
    entries: (ns) => readEntries(`redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}?prefix=${ns}:`),
    redis,
  };
}

/** How messages name the database of a `once` value (no password): the store's `where`. */
export const whereOf = (once: string) => parseOnceTarget(once).where;

/** Entries of a database (every scope, by key), read in this process; a server's URL with its password. */
export async function readEntries(once: string): Promise<OnceEntry[]> {
  const store = await openOnceStore(fromText(once), { mode: 0o600, timeoutMs: 30_000 });
  try {
    const out: OnceEntry[] = [];
    for await (const e of store.entries('key', undefined)) out.push(e);
    return out;
  } finally {
    await store.close();
  }
}

/** One host: a home, a configuration file, a password file, a recording sendmail. */
export interface Host {
  name: string;
  home: string;
  config: string;
  passwordFile: string | undefined;
  sendmail: string;
}

/**
 * The transport options of a host (an Exim-style --config file). `once` is the
 * only line that differs between the hosts; the log goes to the host's HOME.
 */
export function configText(once: string): string {
  return [
    '# one of two hosts answering for the same mailboxes',
    'to = $reply_address',
    'subject = Re: $h_subject:',
    'text = I am away.',
    `once = ${once}`,
    'once_repeat = 7d',
    'log = $home/autoreply.log',
    '',
  ].join('\n');
}

/**
 * Make host `name` under `dir`: HOME = dir/name, its config naming `once`, its
 * sendmail appending "name RECIPIENT" to `out`.
 */
export function makeHost(dir: string, name: string, once: string, out: string, password: string | undefined): Host {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const config = join(home, 'autoreply.conf');
  writeFileSync(config, configText(once));
  let passwordFile: string | undefined;
  if (password !== undefined) {
    passwordFile = join(home, 'once-password');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  }
  const sendmail = join(home, 'sendmail');
  // Reads the whole reply (autoreply must not see a broken pipe), records its To:.
  writeFileSync(
    sendmail,
    `#!/bin/sh\nto=$(awk '/^[Tt][Oo]:/ && !d { sub(/^[Tt][Oo]:[ \\t]*/, ""); print; d = 1 }')\necho "${name} $to" >> '${out}'\nexit 0\n`,
  );
  chmodSync(sendmail, 0o755);
  return { name, home, config, passwordFile, sendmail };
}

/** Point an existing host at another database (a new namespace). */
export function repoint(host: Host, once: string): void {
  writeFileSync(host.config, configText(once));
}

export interface Delivered {
  host: string;
  sender: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed by the deadline (a hang). */
  timedOut: boolean;
}

export const message = (sender: string, n = 0) =>
  `From: Someone <${sender}>\nTo: ${MAILBOX}\nSubject: hello ${n}\nMessage-ID: <${n}.${Math.random().toString(36).slice(2)}@example.org>\n\nhi\n`;

/**
 * One delivery by `host` of a message from `sender` to MAILBOX. `deadlineMs`
 * kills a process that hangs (reported as timedOut).
 */
export async function deliver(
  host: Host,
  sender: string,
  opts: { onceTimeout?: number; deadlineMs?: number; extraArgs?: string[]; n?: number; env?: Record<string, string> } = {},
): Promise<Delivered> {
  const args = [
    '--config',
    host.config,
    '--sendmail',
    host.sendmail,
    '--sender',
    sender,
    '--recipient',
    MAILBOX,
    ...(host.passwordFile ? ['--once-password-file', host.passwordFile] : []),
    ...(opts.onceTimeout !== undefined ? ['--once-timeout', String(opts.onceTimeout)] : []),
    ...(opts.extraArgs ?? []),
  ];
  const t0 = Date.now();
  const r = await startAutoreply(args, {
    input: message(sender, opts.n),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: host.home,
      TZ: 'UTC',
      // LMDB: a burst on a slow machine queues for the lock a while; wait rather than defer.
      AUTOREPLY_ONCE_LOCK_TIMEOUT: '300',
      ...opts.env,
    },
    extendEnv: false,
    reject: false,
    timeout: opts.deadlineMs ?? 180_000,
    stripFinalNewline: false,
  });
  return {
    host: host.name,
    sender,
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    ms: Date.now() - t0,
    timedOut: r.timedOut === true,
  };
}

/** What the recording submission programs wrote: [host, recipient address] per reply. */
export function submissions(out: string): { host: string; to: string }[] {
  return lines(out).map((l) => {
    const sp = l.indexOf(' ');
    const rest = l.slice(sp + 1);
    const addr = /<([^>]*)>/.exec(rest)?.[1] ?? rest.trim();
    return { host: l.slice(0, sp), to: addr.toLowerCase() };
  });
}

/** A failed process in one line, for assertion messages. */
export const failure = (r: Delivered) =>
  `${r.host} ${r.sender}: ${r.timedOut ? 'killed after its deadline' : `exit ${r.exitCode}`}: ${r.stderr.trim().split('\n').join(' | ')}`;
