/**
 * Throw-away PostgreSQL and Redis servers for the tests of the shared "once"
 * databases. Each server is this test's own: it lives in a temporary folder
 * (under /dev/shm when there is one: see serversTmpDir),
 * listens on 127.0.0.1 (a free port) and on a Unix socket in that folder, and
 * is stopped at the end. A system instance is never touched.
 *
 *   const skip = skipUnlessPostgres();
 *   t.test('...', { skip }, async (t) => {
 *     const pg = await startPostgres({ t });        // stopped by t.teardown
 *     const app = await pg.createRole('app', 'secret');
 *     ... connect to app.url() or app.socketUrl() ...
 *   });
 *
 * Cleanup, strongest first: `t.teardown` (stop() when the test ends, passing or
 * not), a process 'exit' hook (kills what is still running), execa's cleanup
 * (kills on SIGTERM/SIGINT of the test process), and the servers are started
 * with a parent-death signal (setpriv --pdeathsig) so that even a test process
 * killed with SIGKILL takes them down.
 *
 * PostgreSQL refuses to run as root: as root the server runs as the local user
 * `autoreply-pg` (created with useradd when missing; `nobody` if that fails).
 */
import { execa, execaSync, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What the helpers need of a tap test: somewhere to register the cleanup. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const keepDirs = () => process.env.AUTOREPLY_KEEP_SERVERS === '1';

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */
/* ------------------------------------------------------------------------ */

/** Everything still running, for the exit hook. */
const running = new Set<{ exitKill(): void }>();
/** Temporary folders to remove at exit (templates, certificates). */
const exitDirs = new Set<string>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const r of running) {
      try {
        r.exitKill();
      } catch {
        /* best effort */
      }
    }
    if (!keepDirs()) for (const d of exitDirs) rmSync(d, { recursive: true, force: true });
  });
}

function findProgram(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

const SETPRIV = findProgram('setpriv');

/** A minimal environment for servers and clients: nothing of the caller's PG*, REDISCLI_*, NODE_OPTIONS. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC', ...extra };
}

/** Is the process there and not a zombie? */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The children of a process (from /proc; not zombies). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid && rest[0] !== 'Z') out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (pids.some(processAlive)) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

function tail(path: string, bytes = 3000): string {
  try {
    const s = readFileSync(path, 'utf8');
    return s.length > bytes ? '...' + s.slice(-bytes) : s;
  } catch {
    return '(no log)';
  }
}

/** A server process: started in the foreground, output appended to a log file. */
class Proc {
  sub: ResultPromise | undefined;
  pid = 0;
  exited = true;
  private exitWait: Promise<void> = Promise.resolve();

  constructor(
    private readonly argv: string[],
    private readonly logPath: string,
    private readonly spawnOpts: { uid?: number; gid?: number; cwd: string; killSignal: NodeJS.Signals; deathSignal: NodeJS.Signals },
  ) {}

  start(): void {
    const fd = openSync(this.logPath, 'a');
    try {
      // setpriv --pdeathsig: the server gets a signal when this process dies,
      // even by SIGKILL. It must be set after the uid change (which clears it),
      // so setpriv itself is started as the server's user.
      const [file, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', this.spawnOpts.deathSignal, '--', ...this.argv] : this.argv;
      const sub = execa(file!, args, {
        cwd: this.spawnOpts.cwd,
        env: baseEnv(),
        extendEnv: false,
        stdin: 'ignore',
        // The log file itself (no pipe through this process, which may die first).
        // execa's types only take literal descriptor numbers.
        stdout: fd as 3,
        stderr: fd as 3,
        reject: false,
        killSignal: this.spawnOpts.killSignal,
        forceKillAfterDelay: false,
        ...(this.spawnOpts.uid !== undefined ? { uid: this.spawnOpts.uid, gid: this.spawnOpts.gid } : {}),
      });
      this.sub = sub;
      this.pid = sub.pid ?? 0;
      this.exited = false;
      this.exitWait = new Promise<void>((resolve) => {
        sub.once('exit', () => {
          this.exited = true;
          resolve();
        });
        sub.once('error', () => {
          this.exited = true;
          resolve();
        });
      });
      sub.catch(() => undefined);
      // A forgotten server must not keep the test process alive: the exit hook kills it.
      sub.unref();
    } finally {
      closeSync(fd);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exited || !this.pid) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Wait for the process to end; false after `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    if (this.exited) return true;
    this.sub?.ref();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const ok = await Promise.race([this.exitWait.then(() => true), timeout]);
    clearTimeout(timer);
    return ok;
  }
}

/** A port on 127.0.0.1 nobody listens on, outside Linux's ephemeral range (32768-60999), so that client connections don't take it while a server is down. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canBind(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Every parent of `dir` up to / is traversable by other users. */
function checkTraversable(dir: string): string | undefined {
  for (let d = dir; d !== '/'; d = join(d, '..')) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return d;
    } catch {
      return d;
    }
  }
  return undefined;
}

/**
 * Where the servers' folders go: $AUTOREPLY_SERVERS_TMPDIR, else /dev/shm (a
 * tmpfs: copying a data folder there takes a tenth of the time it takes on a
 * busy disk), else the system's temporary folder.
 */
export function serversTmpDir(): string {
  const wanted = process.env.AUTOREPLY_SERVERS_TMPDIR;
  if (wanted) return wanted;
  try {
    const st = statfsSync('/dev/shm');
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    if (st.bavail * st.bsize > 1024 ** 3) return '/dev/shm';
  } catch {
    /* none */
  }
  return tmpdir();
}

function newTempDir(prefix: string): string {
  const dir = mkdtempSync(join(serversTmpDir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

const sq = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** Percent-encoding for URL parts; '/' stays as is (readable socket paths). */
const enc = (s: string) => encodeURIComponent(s).replace(/%2F/gi, '/');

export interface ClientRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/* ------------------------------------------------------------------------ */
/* PostgreSQL                                                                */
/* ------------------------------------------------------------------------ */

/** The folder with initdb, postgres, pg_isready and psql, newest version first. */
export function postgresBinDir(): string | undefined {
  const want = ['initdb', 'postgres', 'pg_isready', 'psql'];
  const has = (d: string) => want.every((p) => existsSync(join(d, p)));
  if (process.env.AUTOREPLY_PG_BINDIR && has(process.env.AUTOREPLY_PG_BINDIR)) return process.env.AUTOREPLY_PG_BINDIR;
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch {
    /* not Debian's layout */
  }
  const initdb = findProgram('initdb');
  if (initdb) {
    const d = join(initdb, '..');
    if (has(d)) return d;
  }
  return undefined;
}

/** Why the PostgreSQL tests cannot run here (one line), or undefined. */
export function skipUnlessPostgres(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL is not installed (apt-get install postgresql)';
  if (isRoot()) {
    if (!pgUser()) return 'PostgreSQL refuses to run as root and no unprivileged user is available (useradd autoreply-pg failed, no nobody)';
    const blocked = checkTraversable(serversTmpDir());
    if (blocked) return `${blocked} is not traversable by other users: PostgreSQL runs as an unprivileged user in ${serversTmpDir()}`;
  }
  return undefined;
}

interface PgUser {
  name: string;
  uid: number;
  gid: number;
}
let pgUserCache: PgUser | null | undefined;

function lookupUser(name: string): PgUser | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* no passwd */
  }
  return undefined;
}

/** Who runs the server when we are root (undefined: not root, run as ourselves). */
function pgUser(): PgUser | null {
  if (!isRoot()) return null;
  if (pgUserCache !== undefined) return pgUserCache;
  let u = lookupUser('autoreply-pg');
  if (!u) {
    const useradd = findProgram('useradd');
    if (useradd) {
      // Concurrent test processes may both try: whoever loses sees the user afterwards.
      try {
        execaSyncQuiet(useradd, ['--system', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', '-c', 'autoreply tests: PostgreSQL', 'autoreply-pg']);
      } catch {
        /* see below */
      }
      u = lookupUser('autoreply-pg');
    }
  }
  pgUserCache = u ?? lookupUser('nobody') ?? null;
  return pgUserCache;
}

function execaSyncQuiet(file: string, args: string[]): void {
  execaSync(file, args, { env: baseEnv(), extendEnv: false, stdin: 'ignore', timeout: 30_000 });
}

export interface PostgresOptions {
  /** Stop the server when this test ends. */
  t?: Teardown;
  /** Authentication on the Unix socket for roles other than the superuser (default scram-sha-256; the superuser is always trusted there). */
  socketAuth?: 'scram-sha-256' | 'trust';
  /** More `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** How long to wait for the server to accept connections (ms, default 60000). */
  startTimeout?: number;
}

export interface PgRole {
  name: string;
  password: string;
  database: string;
  /** postgresql://name:password@127.0.0.1:PORT/database (the password can be overridden, or left out with null). */
  url(database?: string, password?: string | null): string;
  /** postgresql://name:password@/database?host=/socket/dir&port=PORT */
  socketUrl(database?: string, password?: string | null): string;
}

export interface PostgresServer {
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly logPath: string;
  /** The superuser (postgres) and its password (trusted on the socket, password over TCP). */
  readonly superuser: string;
  readonly superPassword: string;
  /** The postmaster's process id (0 while stopped). */
  readonly pid: number;
  /** postgresql://user:password@127.0.0.1:PORT/database; defaults: database postgres, the superuser; a role made by createRole gets its password unless one is given (null: none). */
  url(database?: string, user?: string, password?: string | null): string;
  /** postgresql://user[:password]@/database?host=SOCKETDIR&port=PORT (libpq and pg-connection-string accept it; WHATWG `new URL` does not). */
  socketUrl(database?: string, user?: string, password?: string | null): string;
  /** Run SQL as the superuser over the socket (psql -X -A -t, ON_ERROR_STOP); stdout trimmed; throws on failure. */
  psql(sql: string, database?: string): Promise<string>;
  /** Run SQL through psql with a connection URL (any user, TCP or socket); never throws. */
  psqlUrl(url: string, sql: string): Promise<ClientRun>;
  createDatabase(name: string, owner?: string): Promise<void>;
  /** A LOGIN role with a password that may create tables in schema public of `database` (default postgres). */
  createRole(name: string, password: string, opts?: { database?: string }): Promise<PgRole>;
  /** A LOGIN role with a password without CREATE on schema public; with dml, SELECT/INSERT/UPDATE/DELETE on its tables (present and future ones of the superuser). */
  createRestrictedRole(name: string, password: string, opts?: { database?: string; dml?: boolean }): Promise<PgRole>;
  /** The postmaster and its children now. */
  pids(): number[];
  /** Fast shutdown (SIGINT: clients are disconnected), then the folder is removed. Idempotent. */
  stop(): Promise<void>;
  /** Stop abruptly: 'immediate' (SIGQUIT, as pg_ctl -m immediate: backends die, crash recovery at restart) or 'hard' (SIGKILL to the postmaster and every backend). Keeps the folder for restart(). */
  kill(mode?: 'immediate' | 'hard'): Promise<void>;
  /** Start again on the same port, socket and data (after kill()). */
  restart(): Promise<void>;
}

/**
 * After a SIGKILL the postmaster could not remove its small System V segment
 * (a restart on the same folder does); if the server is left down, remove it.
 */
async function removeStaleSysvSegment(dataDir: string): Promise<void> {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'latin1').split('\n');
  } catch {
    return; // clean shutdown
  }
  const pid = Number(lines[0]);
  if (pid > 0 && processAlive(pid)) return;
  const id = (lines[6] ?? '').trim().split(/\s+/)[1];
  if (id && /^\d+$/.test(id)) await execa('ipcrm', ['-m', id], { reject: false, env: baseEnv(), extendEnv: false });
}

let pgTemplate: Promise<{ dir: string; dataDir: string; superPassword: string }> | undefined;

/**
 * One initdb per test process; each server copies it (cp -a is ~10 times
 * faster than initdb, which takes 1-2 s, far more on a loaded machine). A
 * process started by a test can reuse its template: see postgresTemplateEnv.
 */
function postgresTemplate(bin: string, user: PgUser | null): Promise<{ dir: string; dataDir: string; superPassword: string }> {
  pgTemplate ??= (async () => {
    hookExit();
    const shared = process.env.AUTOREPLY_PG_TEMPLATE;
    if (shared && existsSync(join(shared, 'data', 'PG_VERSION')) && existsSync(join(shared, 'superpassword'))) {
      return { dir: shared, dataDir: join(shared, 'data'), superPassword: readFileSync(join(shared, 'superpassword'), 'utf8').trim() };
    }
    const dir = newTempDir('autoreply-pgtpl-');
    exitDirs.add(dir);
    const dataDir = join(dir, 'data');
    const superPassword = 'super-' + randomBytes(9).toString('base64url');
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, superPassword + '\n', { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    // prettier-ignore
    const r = await execa(join(bin, 'initdb'), [
      '-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'trust', '--auth-host=scram-sha-256',
      '-E', 'UTF8', '--locale=C', '--no-sync', '--wal-segsize=1',
    ], { cwd: dir, env: baseEnv(), extendEnv: false, reject: false, all: true, timeout: 120_000, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
    rmSync(pwfile, { force: true });
    if (r.exitCode !== 0) {
      pgTemplate = undefined;
      throw new Error(`initdb failed (${r.exitCode}): ${r.all}`);
    }
    // For postgresTemplateEnv (only this process's user and root can read it).
    writeFileSync(join(dir, 'superpassword'), superPassword + '\n', { mode: 0o600 });
    return { dir, dataDir, superPassword };
  })();
  return pgTemplate;
}

/**
 * Environment variables that let a child process (which imports these helpers)
 * copy this process's initdb template instead of running initdb again. The
 * template is removed when this process exits.
 */
export async function postgresTemplateEnv(): Promise<{ AUTOREPLY_PG_TEMPLATE: string }> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(skipUnlessPostgres());
  return { AUTOREPLY_PG_TEMPLATE: (await postgresTemplate(bin, pgUser())).dir };
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(skipUnlessPostgres());
  const user = pgUser();
  if (isRoot() && !user) throw new Error(skipUnlessPostgres());
  const template = await postgresTemplate(bin, user);
  hookExit();

  const dir = newTempDir('autoreply-pg-');
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const logPath = join(dir, 'postgres.log');
  const cp = await execa('cp', ['-a', template.dataDir, dataDir], { reject: false, all: true });
  if (cp.exitCode !== 0) throw new Error(`cp -a ${template.dataDir}: ${cp.all}`);
  mkdirSync(socketDir, { mode: 0o755 });
  const socketAuth = opts.socketAuth ?? 'scram-sha-256';
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      '# written by test/helpers/servers.ts',
      'local all postgres trust',
      `local all all ${socketAuth}`,
      'host all all 127.0.0.1/32 scram-sha-256',
      'host all all ::1/128 scram-sha-256',
      '',
    ].join('\n'),
  );
  if (user) {
    for (const p of [dir, dataDir, socketDir, join(dataDir, 'pg_hba.conf')]) chownSync(p, user.uid, user.gid);
  }
  // A folder readable by everybody (the data folder itself stays 0700).
  chmodSync(dir, 0o755);

  const roles = new Map<string, PgRole>();
  let port = 0;
  let proc: Proc | undefined;
  let stopped = false;
  const deadline = opts.startTimeout ?? 60_000;
  const postgres = join(bin, 'postgres');

  const argv = () => {
    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      unix_socket_permissions: '0777',
      // A process crash (kill, restart) loses nothing with fsync off: the WAL is
      // still written to the kernel at every commit. Only a machine crash would.
      fsync: 'off',
      shared_buffers: '32MB',
      max_connections: 100,
      logging_collector: 'off',
      // Dynamic shared memory as files in the data folder (removed with it),
      // not in /dev/shm where a killed server would leave them.
      dynamic_shared_memory_type: 'mmap',
      log_destination: 'stderr',
      lc_messages: 'C',
      ...opts.settings,
    };
    // prettier-ignore
    return [postgres, '-D', dataDir, '-p', String(port), '-k', socketDir,
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  };

  const entry = {
    exitKill() {
      if (proc && !proc.exited) proc.signal('SIGQUIT');
      if (!keepDirs()) rmSync(dir, { recursive: true, force: true });
    },
  };

  const isReady = async () => {
    const r = await execa(join(bin, 'pg_isready'), ['-q', '-h', socketDir, '-p', String(port), '-t', '2'], {
      env: baseEnv({ PGCONNECT_TIMEOUT: '2' }),
      extendEnv: false,
      reject: false,
      timeout: 10_000,
    });
    return r.exitCode === 0;
  };

  /** Start the postmaster and wait until it accepts connections. Returns false when the port was taken. */
  const launch = async (): Promise<boolean> => {
    const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
    proc = new Proc(argv(), logPath, {
      cwd: dir,
      killSignal: 'SIGQUIT',
      deathSignal: 'SIGQUIT',
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    proc.start();
    running.add(entry);
    const end = Date.now() + deadline;
    for (;;) {
      if (proc.exited) {
        running.delete(entry);
        const log = readFileSync(logPath, 'utf8').slice(logStart);
        if (/could not (bind|create listen socket)|Address already in use/i.test(log)) return false;
        throw new Error(`postgres exited at startup:\n${tail(logPath)}`);
      }
      if (await isReady()) return true;
      if (Date.now() > end) {
        proc.signal('SIGQUIT');
        await proc.waitExit(10_000);
        running.delete(entry);
        throw new Error(`postgres did not accept connections within ${deadline} ms:\n${tail(logPath)}`);
      }
      await sleep(50);
    }
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (await launch()) break;
    if (attempt >= 10) throw new Error(`postgres: no free port after ${attempt + 1} tries:\n${tail(logPath)}`);
  }

  const passwordFor = (user: string, password: string | null | undefined) =>
    password === null ? undefined : password ?? (user === 'postgres' ? template.superPassword : roles.get(user)?.password);
  const userinfo = (user: string, password: string | undefined) => enc(user) + (password !== undefined ? ':' + encodeURIComponent(password) : '');

  const url = (database = 'postgres', user = 'postgres', password?: string | null) =>
    `postgresql://${userinfo(user, passwordFor(user, password))}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const socketUrl = (database = 'postgres', user = 'postgres', password?: string | null) =>
    `postgresql://${userinfo(user, passwordFor(user, password))}@/${encodeURIComponent(database)}?host=${enc(socketDir)}&port=${port}`;

  const psqlUrl = async (connUrl: string, sql: string): Promise<ClientRun> => {
    // prettier-ignore
    const r = await execa(join(bin, 'psql'), ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', connUrl], {
      input: sql,
      env: baseEnv({ PGCONNECT_TIMEOUT: '10', PGPASSFILE: join(dir, 'no-pgpass') }),
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const psql = async (sql: string, database = 'postgres') => {
    const r = await psqlUrl(socketUrl(database, 'postgres', null), sql);
    if (r.exitCode !== 0) throw new Error(`psql failed (${r.exitCode}): ${r.stderr.trim()}\nSQL: ${sql}`);
    return r.stdout.trim();
  };

  const makeRole = (name: string, password: string, database: string): PgRole => {
    const role: PgRole = {
      name,
      password,
      database,
      url: (db = database, pw?: string | null) => url(db, name, pw === undefined ? password : pw),
      socketUrl: (db = database, pw?: string | null) => socketUrl(db, name, pw === undefined ? password : pw),
    };
    roles.set(name, role);
    return role;
  };

  const server: PostgresServer = {
    dir,
    dataDir,
    socketDir,
    get port() {
      return port;
    },
    logPath,
    superuser: 'postgres',
    superPassword: template.superPassword,
    get pid() {
      return proc && !proc.exited ? proc.pid : 0;
    },
    url,
    socketUrl,
    psql,
    psqlUrl,
    async createDatabase(name, owner) {
      await psql(`CREATE DATABASE ${ident(name)}${owner ? ` OWNER ${ident(owner)}` : ''};`);
    },
    async createRole(name, password, o = {}) {
      const database = o.database ?? 'postgres';
      await psql(`CREATE ROLE ${ident(name)} LOGIN PASSWORD ${sq(password)};`);
      await psql(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(name)};\nGRANT USAGE, CREATE ON SCHEMA public TO ${ident(name)};`, database);
      return makeRole(name, password, database);
    },
    async createRestrictedRole(name, password, o = {}) {
      const database = o.database ?? 'postgres';
      await psql(`CREATE ROLE ${ident(name)} LOGIN PASSWORD ${sq(password)};`);
      const r = ident(name);
      const sql = [
        // PostgreSQL 15 no longer gives CREATE on public to PUBLIC; older versions did.
        'REVOKE CREATE ON SCHEMA public FROM PUBLIC;',
        `REVOKE CREATE ON SCHEMA public FROM ${r};`,
        `GRANT USAGE ON SCHEMA public TO ${r};`,
        `GRANT CONNECT ON DATABASE ${ident(database)} TO ${r};`,
      ];
      if (o.dml) {
        sql.push(
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r};`,
          `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r};`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r};`,
        );
      }
      await psql(sql.join('\n'), database);
      return makeRole(name, password, database);
    },
    pids() {
      if (!proc || proc.exited) return [];
      return [proc.pid, ...childPids(proc.pid)];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc && !proc.exited) {
        proc.signal('SIGINT'); // fast shutdown
        if (!(await proc.waitExit(30_000))) {
          proc.signal('SIGQUIT');
          if (!(await proc.waitExit(10_000))) {
            for (const p of server.pids()) process.kill(p, 'SIGKILL');
            await proc.waitExit(10_000);
          }
        }
      }
      running.delete(entry);
      await removeStaleSysvSegment(dataDir);
      if (!keepDirs()) rmSync(dir, { recursive: true, force: true });
    },
    async kill(mode = 'immediate') {
      if (!proc || proc.exited) return;
      const all = server.pids();
      if (mode === 'hard') {
        for (const p of all) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } else {
        proc.signal('SIGQUIT');
      }
      await proc.waitExit(30_000);
      await waitGone(all, 30_000);
      running.delete(entry);
    },
    async restart() {
      if (stopped) throw new Error('postgres: restart() after stop()');
      if (proc && !proc.exited) throw new Error('postgres: restart() while running (kill() first)');
      // The same port: wait for it if something holds it for a moment.
      const end = Date.now() + deadline;
      while (!(await launch())) {
        if (Date.now() > end) throw new Error(`postgres: port ${port} stays taken, cannot restart:\n${tail(logPath)}`);
        await sleep(200);
      }
    },
  };
  opts.t?.teardown(() => server.stop());
  return server;
}

/* ------------------------------------------------------------------------ */
/* Redis                                                                     */
/* ------------------------------------------------------------------------ */

const REDIS_SERVER = () => findProgram('redis-server');
const REDIS_CLI = () => findProgram('redis-cli');

/** Why the Redis tests cannot run here (one line), or undefined. */
export function skipUnlessRedis(): string | undefined {
  if (!REDIS_SERVER()) return 'Redis is not installed (apt-get install redis-server)';
  if (!REDIS_CLI()) return 'redis-cli is not installed (apt-get install redis-tools)';
  return undefined;
}

let tlsSupport: string | null | undefined;
/** Why a TLS Redis cannot run here (redis-server built without TLS, no openssl), or undefined. */
export function skipUnlessRedisTls(): string | undefined {
  const base = skipUnlessRedis();
  if (base) return base;
  if (!findProgram('openssl')) return 'openssl is not installed (apt-get install openssl)';
  if (tlsSupport === undefined) {
    // A TLS build accepts the directive and then finds nothing to listen on;
    // a build without TLS rejects the directive.
    const r = execaSync(REDIS_SERVER()!, ['--port', '0', '--tls-port', '0'], { reject: false, all: true, timeout: 10_000, env: baseEnv(), extendEnv: false });
    tlsSupport = /Bad directive|wrong number of arguments|not supported/i.test(String(r.all)) ? 'redis-server was built without TLS' : null;
  }
  return tlsSupport ?? undefined;
}

let certs: Promise<{ certFile: string; keyFile: string }> | undefined;
/** A self-signed certificate for localhost and 127.0.0.1 (one per test process); it is its own CA. */
function selfSignedCert(): Promise<{ certFile: string; keyFile: string }> {
  certs ??= (async () => {
    hookExit();
    const dir = newTempDir('autoreply-tls-');
    exitDirs.add(dir);
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    // prettier-ignore
    const r = await execa('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '7', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { reject: false, all: true, env: baseEnv(), extendEnv: false, timeout: 30_000 });
    if (r.exitCode !== 0) {
      certs = undefined;
      throw new Error(`openssl req failed: ${r.all}`);
    }
    chmodSync(keyFile, 0o644); // readable by a server running as another user
    return { certFile, keyFile };
  })();
  return certs;
}

export interface RedisAuth {
  /** An ACL user (default: the default user). */
  user?: string;
  /** Default: the configured password of that user; null: none in the URL. */
  password?: string | null;
  db?: number;
}

export interface RedisOptions {
  /** Stop the server when this test ends. */
  t?: Teardown;
  /** requirepass: the password of the default user. */
  password?: string;
  /** An ACL user (rules default to `~* &* +@all`). */
  user?: { name: string; password: string; rules?: string };
  /** Also listen with TLS on another port (self-signed certificate; see skipUnlessRedisTls). */
  tls?: boolean;
  /** appendonly yes + appendfsync always: what was acknowledged survives kill(). Default: no persistence at all. */
  aof?: boolean;
  /** Extra redis.conf lines. */
  config?: string[];
  /** How long to wait for the server (ms, default 30000). */
  startTimeout?: number;
}

export interface RedisServer {
  readonly dir: string;
  readonly socketPath: string;
  readonly port: number;
  /** The TLS port (0 without tls). */
  readonly tlsPort: number;
  /** The self-signed certificate (also the CA to trust) and its key, with tls. */
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly password: string | undefined;
  readonly logPath: string;
  readonly pid: number;
  /**
   * redis://[user:password@]127.0.0.1:PORT[/db]; the default user's password as
   * `:password@` (node-redis and ioredis send AUTH password; redis-cli -u wants
   * `default:password@`, which url({ user: 'default' }) gives).
   */
  url(auth?: RedisAuth): string;
  /** rediss://[user:password@]127.0.0.1:TLSPORT[/db] (trust caFile). */
  tlsUrl(auth?: RedisAuth): string;
  /**
   * redis+unix:///path/redis.sock[?username=&password=&db=] (form 'unix': unix:///...).
   * Credentials go in the query: `new URL` refuses user info without a host.
   * ioredis takes both forms (any scheme but redis:/rediss: means a socket path; the
   * query becomes options); node-redis takes neither (it wants { socket: { path } }).
   */
  socketUrl(auth?: RedisAuth, form?: 'redis+unix' | 'unix'): string;
  /** redis-cli on the socket, as the default user with its password (or `auth`); -e: a command error throws. Output trimmed. */
  cli(args: string[], auth?: RedisAuth): Promise<string>;
  /** redis-cli with any arguments (no connection options added); never throws. */
  cliRaw(args: string[]): Promise<ClientRun>;
  /** A read-only replica of this server (same password), synchronised before it returns. */
  startReplica(opts?: RedisOptions): Promise<RedisServer>;
  /** SIGTERM (no save), then the folder is removed. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL. Keeps the folder for restart(). */
  kill(): Promise<void>;
  /** Start again on the same port and socket. */
  restart(): Promise<void>;
}

export function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  return startRedisServer(opts, undefined);
}

/** A read-only replica (replicaof + replica-read-only yes) of `primary`. */
export function startReplica(primary: RedisServer, opts: RedisOptions = {}): Promise<RedisServer> {
  return startRedisServer({ password: primary.password, ...opts }, primary);
}

async function startRedisServer(opts: RedisOptions, primary: RedisServer | undefined): Promise<RedisServer> {
  const server = REDIS_SERVER();
  const cliBin = REDIS_CLI();
  if (!server || !cliBin) throw new Error(skipUnlessRedis());
  if (opts.tls) {
    const why = skipUnlessRedisTls();
    if (why) throw new Error(why);
  }
  hookExit();
  const tls = opts.tls ? await selfSignedCert() : undefined;
  const dir = newTempDir(primary ? 'autoreply-redis-replica-' : 'autoreply-redis-');
  const socketPath = join(dir, 'redis.sock');
  const logPath = join(dir, 'redis.log');
  const confPath = join(dir, 'redis.conf');
  const deadline = opts.startTimeout ?? 30_000;
  let port = 0;
  let tlsPort = 0;
  let proc: Proc | undefined;
  let stopped = false;
  const users = new Map<string, string>();
  if (opts.user) users.set(opts.user.name, opts.user.password);
  const passwordOf = (auth: RedisAuth = {}) =>
    auth.password === null ? undefined : auth.password ?? (auth.user && auth.user !== 'default' ? users.get(auth.user) : opts.password);

  const q = (s: string) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  const writeConf = () => {
    const lines = [
      '# written by test/helpers/servers.ts',
      'bind 127.0.0.1',
      `port ${port}`,
      `unixsocket ${q(socketPath)}`,
      'unixsocketperm 777',
      'daemonize no',
      'protected-mode no',
      `dir ${q(dir)}`,
      'logfile ""',
      'save ""',
      opts.aof ? 'appendonly yes' : 'appendonly no',
      ...(opts.aof ? ['appendfsync always'] : []),
      // Replicas get their first copy at once (7.0 waits 5 s by default).
      'repl-diskless-sync-delay 0',
    ];
    if (opts.password !== undefined) lines.push(`requirepass ${q(opts.password)}`);
    if (opts.user) lines.push(`user ${opts.user.name} on >${opts.user.password} ${opts.user.rules ?? '~* &* +@all'}`);
    if (tls) {
      lines.push(`tls-port ${tlsPort}`, `tls-cert-file ${q(tls.certFile)}`, `tls-key-file ${q(tls.keyFile)}`, `tls-ca-cert-file ${q(tls.certFile)}`, 'tls-auth-clients no');
    }
    if (primary) {
      lines.push(`replicaof 127.0.0.1 ${primary.port}`, 'replica-read-only yes');
      if (primary.password !== undefined) lines.push(`masterauth ${q(primary.password)}`);
    }
    lines.push(...(opts.config ?? []), '');
    writeFileSync(confPath, lines.join('\n'));
  };

  const entry = {
    exitKill() {
      if (proc && !proc.exited) proc.signal('SIGKILL');
      if (!keepDirs()) rmSync(dir, { recursive: true, force: true });
    },
  };

  const cliRaw = async (args: string[]): Promise<ClientRun> => {
    const r = await execa(cliBin, args, { env: baseEnv(), extendEnv: false, reject: false, timeout: 30_000, stdin: 'ignore' });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const authArgs = (auth: RedisAuth = {}) => {
    const password = passwordOf(auth);
    return [
      ...(auth.user ? ['--user', auth.user] : []),
      ...(password !== undefined ? ['--pass', password] : []),
      '--no-auth-warning',
      ...(auth.db !== undefined ? ['-n', String(auth.db)] : []),
    ];
  };
  const cli = async (args: string[], auth?: RedisAuth) => {
    const r = await cliRaw(['-s', socketPath, ...authArgs(auth), '-e', ...args]);
    if (r.exitCode !== 0) throw new Error(`redis-cli ${args.join(' ')} failed (${r.exitCode}): ${(r.stdout + r.stderr).trim()}`);
    return r.stdout.trim();
  };

  const launch = async (): Promise<boolean> => {
    writeConf();
    const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
    proc = new Proc([server, confPath], logPath, { cwd: dir, killSignal: 'SIGTERM', deathSignal: 'SIGKILL' });
    proc.start();
    running.add(entry);
    const end = Date.now() + deadline;
    for (;;) {
      if (proc.exited) {
        running.delete(entry);
        const log = readFileSync(logPath, 'utf8').slice(logStart);
        if (/Address already in use|Could not create server TCP listening socket/i.test(log)) return false;
        throw new Error(`redis-server exited at startup:\n${tail(logPath)}`);
      }
      // Any answer but LOADING means it serves (NOAUTH, too).
      const r = await cliRaw(['-s', socketPath, 'ping']);
      if (r.exitCode === 0 && /PONG|NOAUTH|WRONGPASS/.test(r.stdout + r.stderr)) break;
      if (Date.now() > end) {
        proc.signal('SIGKILL');
        await proc.waitExit(10_000);
        running.delete(entry);
        throw new Error(`redis-server did not answer within ${deadline} ms:\n${tail(logPath)}`);
      }
      await sleep(30);
    }
    if (primary) {
      for (;;) {
        const info = await cliRaw(['-s', socketPath, ...authArgs(), 'info', 'replication']);
        if (/master_link_status:up/.test(info.stdout)) break;
        if (Date.now() > end) throw new Error(`the replica did not synchronise within ${deadline} ms:\n${info.stdout}\n${tail(logPath)}`);
        await sleep(50);
      }
    }
    return true;
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (tls) {
      do tlsPort = await freePort();
      while (tlsPort === port);
    }
    if (await launch()) break;
    if (attempt >= 10) throw new Error(`redis-server: no free port after ${attempt + 1} tries:\n${tail(logPath)}`);
  }

  const cred = (auth: RedisAuth = {}) => {
    const password = passwordOf(auth);
    if (!auth.user && password === undefined) return '';
    return `${auth.user ? encodeURIComponent(auth.user) : ''}${password !== undefined ? ':' + encodeURIComponent(password) : ''}@`;
  };
  const dbPath = (auth: RedisAuth = {}) => (auth.db !== undefined ? `/${auth.db}` : '');

  const handle: RedisServer = {
    dir,
    socketPath,
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    caFile: tls?.certFile,
    certFile: tls?.certFile,
    keyFile: tls?.keyFile,
    password: opts.password,
    logPath,
    get pid() {
      return proc && !proc.exited ? proc.pid : 0;
    },
    url: (auth) => `redis://${cred(auth)}127.0.0.1:${port}${dbPath(auth)}`,
    tlsUrl(auth) {
      if (!tls) throw new Error('this Redis was started without tls');
      return `rediss://${cred(auth)}127.0.0.1:${tlsPort}${dbPath(auth)}`;
    },
    socketUrl(auth = {}, form = 'redis+unix') {
      const password = passwordOf(auth);
      const query: string[] = [];
      if (auth.user) query.push(`username=${encodeURIComponent(auth.user)}`);
      if (password !== undefined) query.push(`password=${encodeURIComponent(password)}`);
      if (auth.db !== undefined) query.push(`db=${auth.db}`);
      return `${form}://${enc(socketPath)}${query.length ? '?' + query.join('&') : ''}`;
    },
    cli,
    cliRaw,
    startReplica: (o = {}) => startReplica(handle, { t: opts.t, ...o }),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc && !proc.exited) {
        proc.signal('SIGTERM');
        if (!(await proc.waitExit(15_000))) {
          proc.signal('SIGKILL');
          await proc.waitExit(10_000);
        }
      }
      running.delete(entry);
      if (!keepDirs()) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (!proc || proc.exited) return;
      proc.signal('SIGKILL');
      await proc.waitExit(15_000);
      running.delete(entry);
    },
    async restart() {
      if (stopped) throw new Error('redis: restart() after stop()');
      if (proc && !proc.exited) throw new Error('redis: restart() while running (kill() first)');
      const end = Date.now() + deadline;
      while (!(await launch())) {
        if (Date.now() > end) throw new Error(`redis: port ${port} stays taken, cannot restart:\n${tail(logPath)}`);
        await sleep(200);
      }
    },
  };
  opts.t?.teardown(() => handle.stop());
  return handle;
}
