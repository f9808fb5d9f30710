// Private PostgreSQL and Redis servers for the benchmarks (scripts/bench.mjs,
// scripts/bench-once.mjs): each lives in a temporary folder of its own, listens on
// 127.0.0.1 on a free port (and PostgreSQL on a Unix socket in its folder), and is
// stopped — its folder removed — when the benchmark ends, however it ends:
//   - stopServers() at the end of a normal run;
//   - an 'exit' hook and SIGINT/SIGTERM/SIGHUP handlers (Ctrl-C) that kill what is
//     still running and remove the folders;
//   - setpriv --pdeathsig, so that a server dies with the benchmark even when the
//     benchmark is killed with SIGKILL (only its folder then stays behind).
// A system instance is never touched. test/helpers/servers.ts does the same for
// the tests; this is a small synchronous version of it in plain JavaScript (the
// benchmark is run by plain node and measures with spawnSync anyway).
//
// PostgreSQL keeps its defaults (fsync on, synchronous commit), as the LMDB file it
// is compared with syncs each commit too; Redis runs without persistence
// (--save '' --appendonly no), as a cache of whom we answered usually does.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
const isRoot = () => process.getuid?.() === 0;

/** Blocks this thread for `ms` (the benchmark is synchronous; nothing else needs the event loop meanwhile). */
export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function which(name, dirs = []) {
  for (const d of [...dirs, ...ENV.PATH.split(':')]) if (existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** Running or not; a zombie (exited, not yet reaped because we block the event loop) counts as gone. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

function waitGone(pid, ms) {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) return false;
    sleepSync(20);
  }
  return true;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** TCP ports something listens on (from /proc/net/tcp*), to pick a free one without async sockets. */
function listeningPorts() {
  const ports = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(f, 'latin1').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[3] === '0A') ports.add(parseInt(cols[1].split(':')[1], 16));
      }
    } catch {
      // no such table
    }
  }
  return ports;
}

/** A port outside Linux's ephemeral range (32768-60999), so that client connections do not take it. */
function freePort() {
  const taken = listeningPorts();
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!taken.has(port)) return port;
  }
}

function tail(file, bytes = 2000) {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > bytes ? '...' + s.slice(-bytes) : s;
  } catch {
    return '(no log)';
  }
}

// ---- what is running, and the cleanup ----------------------------------------------

/** Every server started and not yet stopped: { name, stopSync() }. */
const running = new Set();
let hooked = false;

function hookCleanup() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const s of [...running]) s.stopSync();
  });
  // Ctrl-C: the servers in our process group get SIGINT too, but their folders
  // would stay; stop them ourselves, then end as a SIGINT would have.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping the servers\n`);
      for (const s of [...running]) s.stopSync();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
    });
  }
}

/**
 * Start `argv` in the background with its output in `log`; setpriv starts it as
 * `user` (uid/gid) with a parent-death signal (set after the uid change, which
 * would clear it, hence setpriv itself runs as that user).
 */
function startProcess(argv, log, { cwd, user, deathSignal }) {
  const setpriv = which('setpriv');
  const [file, ...args] = setpriv ? [setpriv, '--pdeathsig', deathSignal, '--', ...argv] : argv;
  const fd = openSync(log, 'a');
  try {
    const child = spawn(file, args, { cwd, env: ENV, stdio: ['ignore', fd, fd], ...(user ? { uid: user.uid, gid: user.gid } : {}) });
    child.on('error', () => undefined);
    // A forgotten server must not keep the benchmark alive: the exit hook stops it.
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

// ---- PostgreSQL ----------------------------------------------------------------------

/** The newest /usr/lib/postgresql/N/bin with what we need, or one on PATH. */
function postgresBin() {
  const want = ['initdb', 'postgres', 'pg_isready', 'psql'];
  const has = (d) => want.every((p) => existsSync(join(d, p)));
  let versions = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a);
  } catch {
    // not Debian's layout
  }
  for (const v of versions) if (has(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  const initdb = which('initdb');
  return initdb && has(join(initdb, '..')) ? join(initdb, '..') : undefined;
}

function lookupUser(name) {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd
  }
  return undefined;
}

/** PostgreSQL refuses to run as root: then it runs as autoreply-pg (the tests' user, created when missing) or nobody. */
function postgresUser() {
  if (!isRoot()) return undefined;
  if (!lookupUser('autoreply-pg')) {
    spawnSync('useradd', ['--system', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', '-c', 'autoreply tests: PostgreSQL', 'autoreply-pg'], { env: ENV, stdio: 'ignore' });
  }
  return lookupUser('autoreply-pg') ?? lookupUser('nobody');
}

/** Why no PostgreSQL can be started here, or undefined. */
export function postgresUnavailable() {
  if (!postgresBin()) return 'PostgreSQL is not installed (apt-get install postgresql)';
  if (isRoot() && !postgresUser()) return 'PostgreSQL refuses to run as root and there is no unprivileged user to run it';
  return undefined;
}

/**
 * A PostgreSQL server of our own with a role `autoreply` and its database `mail`,
 * trusted on 127.0.0.1 (no password: the deliveries measured pay for the
 * connection, not for a SCRAM exchange). Returns { url, port, dir, stop() }.
 */
export function startPostgres(parent = tmpdir()) {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  hookCleanup();
  const bin = postgresBin();
  const user = postgresUser();
  const dir = mkdtempSync(join(parent, 'pg-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  const log = join(dir, 'postgres.log');
  mkdirSync(socket);
  // The server's user must reach its folder (and the parent folders must be traversable).
  chmodSync(dir, 0o755);
  if (user) for (const p of [dir, socket]) chownSync(p, user.uid, user.gid);
  let pid = 0;
  const server = {
    name: 'postgres',
    dir,
    port: 0,
    url: (db = 'mail', role = 'autoreply') => `postgresql://${role}@127.0.0.1:${server.port}/${db}`,
    stopSync() {
      if (pid && alive(pid)) {
        signal(pid, 'SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
        if (!waitGone(pid, 20_000)) {
          signal(pid, 'SIGQUIT');
          if (!waitGone(pid, 5000)) signal(pid, 'SIGKILL');
          waitGone(pid, 5000);
        }
      }
      running.delete(server);
      rmSync(dir, { recursive: true, force: true });
    },
    stop() {
      server.stopSync();
    },
  };
  running.add(server);

  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  // prettier-ignore
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { cwd: dir, env: ENV, encoding: 'utf8', timeout: 180_000, ...asUser });
  if (init.status !== 0) {
    server.stopSync();
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const psqlArgs = () => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socket, '-p', String(server.port), '-U', 'postgres', '-d', 'postgres'];
  for (let attempt = 1; ; attempt++) {
    server.port = freePort();
    // prettier-ignore
    pid = startProcess([join(bin, 'postgres'), '-D', data, '-p', String(server.port), '-k', socket,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'logging_collector=off', '-c', 'dynamic_shared_memory_type=mmap', '-c', 'lc_messages=C'],
      log, { cwd: dir, user, deathSignal: 'SIGQUIT' });
    const end = Date.now() + 60_000;
    let ready = false;
    while (alive(pid) && Date.now() < end) {
      const r = spawnSync(join(bin, 'pg_isready'), ['-q', '-h', socket, '-p', String(server.port), '-t', '2'], { env: ENV });
      if (r.status === 0) {
        ready = true;
        break;
      }
      sleepSync(50);
    }
    if (ready) break;
    const portTaken = /could not bind|Address already in use/i.test(tail(log));
    signal(pid, 'SIGQUIT');
    waitGone(pid, 10_000);
    if (!portTaken || attempt >= 5) {
      const msg = tail(log);
      server.stopSync();
      throw new Error(`postgres did not start:\n${msg}`);
    }
  }
  // (two commands: CREATE DATABASE cannot run in the transaction of a multi-statement -c)
  const r = spawnSync(join(bin, 'psql'), [...psqlArgs(), '-c', 'CREATE ROLE autoreply LOGIN', '-c', 'CREATE DATABASE mail OWNER autoreply'], { env: ENV, encoding: 'utf8' });
  if (r.status !== 0) {
    server.stopSync();
    throw new Error(`psql: ${r.stderr}`);
  }
  return server;
}

// ---- Redis -------------------------------------------------------------------------------

/** Why no Redis can be started here, or undefined. */
export function redisUnavailable() {
  if (!which('redis-server')) return 'Redis is not installed (apt-get install redis-server)';
  if (!which('redis-cli')) return 'redis-cli is not installed (apt-get install redis-tools)';
  return undefined;
}

/** A Redis server of our own, without persistence. Returns { url, port, dir, stop() }. */
export function startRedis(parent = tmpdir()) {
  const why = redisUnavailable();
  if (why) throw new Error(why);
  hookCleanup();
  const dir = mkdtempSync(join(parent, 'redis-'));
  const log = join(dir, 'redis.log');
  let pid = 0;
  const server = {
    name: 'redis',
    dir,
    port: 0,
    url: () => `redis://127.0.0.1:${server.port}`,
    stopSync() {
      if (pid && alive(pid)) {
        signal(pid, 'SIGTERM');
        if (!waitGone(pid, 10_000)) signal(pid, 'SIGKILL');
        waitGone(pid, 5000);
      }
      running.delete(server);
      rmSync(dir, { recursive: true, force: true });
    },
    stop() {
      server.stopSync();
    },
  };
  running.add(server);
  for (let attempt = 1; ; attempt++) {
    server.port = freePort();
    // prettier-ignore
    pid = startProcess([which('redis-server'), '--port', String(server.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no', '--logfile', ''], log, { cwd: dir, deathSignal: 'SIGKILL' });
    const end = Date.now() + 30_000;
    let ready = false;
    while (alive(pid) && Date.now() < end) {
      const r = spawnSync(which('redis-cli'), ['-h', '127.0.0.1', '-p', String(server.port), 'ping'], { env: ENV, encoding: 'utf8' });
      if (r.status === 0 && r.stdout.includes('PONG')) {
        ready = true;
        break;
      }
      sleepSync(30);
    }
    if (ready) return server;
    const portTaken = /Address already in use|Could not create server TCP/i.test(tail(log));
    signal(pid, 'SIGKILL');
    waitGone(pid, 5000);
    if (!portTaken || attempt >= 5) {
      const msg = tail(log);
      server.stopSync();
      throw new Error(`redis-server did not start:\n${msg}`);
    }
  }
}

/** Stop every server still running (the normal end of a benchmark). */
export function stopServers() {
  for (const s of [...running]) s.stopSync();
}
