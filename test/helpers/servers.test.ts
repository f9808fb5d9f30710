/**
 * The server helpers themselves: own PostgreSQL and Redis servers start, take
 * passwords, fail on wrong ones, survive kill + restart on the same port, and
 * leave nothing running behind (also when the test process dies).
 */
import t from 'tap';
import { build } from 'esbuild';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  childPids,
  processAlive,
  skipUnlessPostgres,
  skipUnlessRedis,
  skipUnlessRedisTls,
  startPostgres,
  startRedis,
  postgresTemplateEnv,
  serversTmpDir,
  type RedisServer,
} from './servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(probe: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await sleep(25);
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });

/** pgrep -f PATTERN: processes whose command line mentions it. */
async function pgrep(pattern: string): Promise<string> {
  const r = await execa('pgrep', ['-a', '-f', pattern], { reject: false });
  return String(r.stdout).trim();
}

const pgSkip = skipUnlessPostgres();
const redisSkip = skipUnlessRedis();

t.test('postgres', { skip: pgSkip }, async (t) => {
  let t0 = Date.now();
  const pg = await startPostgres({ t });
  t.comment(`postgres started in ${Date.now() - t0} ms (port ${pg.port}, socket ${pg.socketDir})`);
  t.ok(pg.port > 0 && pg.pid > 0);
  t.equal(await pg.psql('select 1'), '1', 'superuser over the socket');
  t.equal(await pg.psql('show listen_addresses'), '127.0.0.1');

  t.test('passwords over TCP and the socket', async (t) => {
    const su = await pg.psqlUrl(pg.url(), 'select current_user');
    t.equal(su.stdout.trim(), 'postgres', su.stderr);
    const bad = await pg.psqlUrl(pg.url('postgres', 'postgres', 'wrong'), 'select 1');
    t.not(bad.exitCode, 0);
    t.match(bad.stderr, /password authentication failed for user "postgres"/);

    // A password with characters that must be percent-encoded in a URL.
    const app = await pg.createRole('app', 'p@ss:w/rd?#%');
    t.match(app.url(), /^postgresql:\/\/app:p%40ss%3Aw%2Frd%3F%23%25@127\.0\.0\.1:\d+\/postgres$/);
    t.equal(pg.url('postgres', 'app'), app.url(), 'the server knows the role password');
    t.match(app.socketUrl(), new RegExp(`^postgresql://app:[^@]+@/postgres\\?host=${pg.socketDir}&port=${pg.port}$`));
    for (const url of [app.url(), app.socketUrl()]) {
      const r = await pg.psqlUrl(url, 'create table t_app (k text primary key); insert into t_app values ($$x$$); select count(*) from t_app; drop table t_app');
      t.equal(r.exitCode, 0, r.stderr);
      t.equal(r.stdout.trim(), '1', url);
    }
    for (const url of [app.url('postgres', 'nope'), app.socketUrl('postgres', 'nope')]) {
      const r = await pg.psqlUrl(url, 'select 1');
      t.not(r.exitCode, 0);
      t.match(r.stderr, /password authentication failed for user "app"/, url);
    }
    const none = await pg.psqlUrl(app.url('postgres', null), 'select 1');
    t.match(none.stderr, /no password supplied/);
    const unknownDb = await pg.psqlUrl(app.url('nosuchdb'), 'select 1');
    t.match(unknownDb.stderr, /database "nosuchdb" does not exist/);
    // The socket URL without a password, as the superuser (trusted there).
    t.equal((await pg.psqlUrl(pg.socketUrl('postgres', 'postgres', null), 'select 2')).stdout.trim(), '2');
  });

  t.test('restricted role', async (t) => {
    await pg.createDatabase('once_db');
    const ro = await pg.createRestrictedRole('limited', 'limited-pw', { database: 'once_db', dml: true });
    const create = await pg.psqlUrl(ro.url(), 'create table mine (k int)');
    t.not(create.exitCode, 0);
    t.match(create.stderr, /permission denied for schema public/);
    // Tables the superuser makes (later) are usable: default privileges.
    await pg.psql('create table shared (k text primary key, n int)', 'once_db');
    const dml = await pg.psqlUrl(ro.url(), "insert into shared values ('a', 1); update shared set n = 2; select n from shared");
    t.equal(dml.exitCode, 0, dml.stderr);
    t.equal(dml.stdout.trim(), '2');
  });

  t.test('kill and restart on the same port and socket', async (t) => {
    await pg.psql("create table kept (v text); insert into kept values ('before')");
    const port = pg.port;
    const firstPid = pg.pid;
    // A client in the middle of a query when the server goes away.
    const client = pg.psqlUrl(pg.url(), 'select pg_sleep(60)');
    t.ok(await waitFor(async () => (await pg.psql("select count(*) from pg_stat_activity where query like 'select pg_sleep%'")) === '1'), 'client running');
    t0 = Date.now();
    await pg.kill(); // immediate: SIGQUIT
    t.comment(`immediate kill: ${Date.now() - t0} ms`);
    const lost = await client;
    t.not(lost.exitCode, 0);
    t.match(lost.stderr, /terminat|server closed the connection/i);
    t.equal(pg.pid, 0);
    t.notOk(processAlive(firstPid));
    t0 = Date.now();
    await pg.restart();
    t.comment(`restart after immediate kill (crash recovery): ${Date.now() - t0} ms`);
    t.equal(pg.port, port);
    t.not(pg.pid, firstPid);
    t.equal(await pg.psql('select v from kept'), 'before', 'committed data survives');
    t.equal((await pg.psqlUrl(pg.url('postgres', 'app'), 'select 3')).stdout.trim(), '3', 'over TCP again');

    await pg.psql("insert into kept values ('second')");
    const all = pg.pids();
    t.ok(all.length > 3, `postmaster and its helpers: ${all.length} processes`);
    await pg.kill('hard'); // SIGKILL everything
    t.same(all.filter(processAlive), [], 'all gone after a hard kill');
    t0 = Date.now();
    await pg.restart();
    t.comment(`restart after SIGKILL: ${Date.now() - t0} ms`);
    t.equal(await pg.psql('select count(*) from kept'), '2');
  });

  t.test('a hard kill without restart leaves no shared memory', async (t) => {
    const other = await startPostgres({ t });
    const key = readFileSync(join(other.dataDir, 'postmaster.pid'), 'latin1').split('\n')[6]!.trim().split(/\s+/)[1]!;
    t.match(key, /^\d+$/);
    const exists = async () => new RegExp(`shmid=${key}\\n`).test(String((await execa('ipcs', ['-m', '-i', key], { reject: false })).stdout));
    t.ok(await exists(), 'System V segment present');
    await other.kill('hard');
    t.ok(await exists(), 'left by the killed server');
    await other.stop();
    t.notOk(await exists(), 'removed by stop()');
  });

  t.test('stop leaves nothing running', async (t) => {
    const all = pg.pids();
    const port = pg.port;
    t0 = Date.now();
    await pg.stop();
    t.comment(`stop: ${Date.now() - t0} ms`);
    t.same(all.filter(processAlive), []);
    t.equal(await pgrep(pg.dir), '');
    t.notOk(existsSync(pg.dir), 'folder removed');
    t.ok(await portFree(port), 'port free');
    await pg.stop(); // idempotent (the teardown calls it again)
  });
});

t.test('redis', { skip: redisSkip }, async (t) => {
  let t0 = Date.now();
  const r = await startRedis({ t, password: 'primary pw', user: { name: 'app', password: 'app-pw' } });
  t.comment(`redis started in ${Date.now() - t0} ms (port ${r.port})`);
  t.equal(await r.cli(['ping']), 'PONG');
  t.equal(r.url(), 'redis://:primary%20pw@127.0.0.1:' + r.port);
  t.equal(r.url({ password: null }), 'redis://127.0.0.1:' + r.port);
  t.equal(r.url({ user: 'app', db: 2 }), `redis://app:app-pw@127.0.0.1:${r.port}/2`);
  t.equal(r.socketUrl(), `redis+unix://${r.socketPath}?password=primary%20pw`);
  t.equal(r.socketUrl({ user: 'app', db: 1 }, 'unix'), `unix://${r.socketPath}?username=app&password=app-pw&db=1`);

  t.test('URLs and passwords', async (t) => {
    t.equal((await r.cliRaw(['-u', r.url({ user: 'default' }), '--no-auth-warning', 'ping'])).stdout.trim(), 'PONG');
    const app = await r.cliRaw(['-u', r.url({ user: 'app', db: 2 }), '--no-auth-warning', 'set', 'k', 'in-db-2']);
    t.equal(app.stdout.trim(), 'OK', app.stderr);
    t.equal(await r.cli(['get', 'k'], { db: 2 }), 'in-db-2');
    t.equal(await r.cli(['get', 'k']), '', 'not in db 0');
    const wrong = await r.cliRaw(['-u', r.url({ user: 'default', password: 'wrong' }), '--no-auth-warning', '-e', 'ping']);
    t.match(wrong.stdout + wrong.stderr, /WRONGPASS|invalid username-password/);
    // redis-cli sends AUTH "" password for redis://:password@ (an empty user name).
    const emptyUser = await r.cliRaw(['-u', r.url(), '--no-auth-warning', '-e', 'ping']);
    t.match(emptyUser.stdout + emptyUser.stderr, /WRONGPASS/);
    const wrongUser = await r.cliRaw(['-u', r.url({ user: 'app', password: 'wrong' }), '--no-auth-warning', '-e', 'ping']);
    t.match(wrongUser.stdout + wrongUser.stderr, /WRONGPASS/);
    const noAuth = await r.cliRaw(['-s', r.socketPath, '-e', 'get', 'k']);
    t.not(noAuth.exitCode, 0);
    t.match(noAuth.stdout + noAuth.stderr, /NOAUTH/);
    await t.rejects(r.cli(['get', 'k'], { password: 'wrong' }), /WRONGPASS/);
  });

  t.test('read-only replica', async (t) => {
    await r.cli(['set', 'shared', 'from-primary']);
    t0 = Date.now();
    const rep = await r.startReplica();
    t.comment(`replica started and synchronised in ${Date.now() - t0} ms`);
    t.equal(await rep.cli(['get', 'shared']), 'from-primary');
    await r.cli(['set', 'later', 'x']);
    t.ok(await waitFor(async () => (await rep.cli(['get', 'later'])) === 'x'), 'replication goes on');
    await t.rejects(rep.cli(['set', 'shared', 'from-replica']), /READONLY You can't write against a read only replica/);
    const viaUrl = await rep.cliRaw(['-u', rep.url({ user: 'default' }), '--no-auth-warning', '-e', 'set', 'a', 'b']);
    t.match(viaUrl.stdout + viaUrl.stderr, /^READONLY/m);
    await rep.stop();
    t.equal(rep.pid, 0);
  });

  t.test('kill and restart on the same port and socket', async (t) => {
    const port = r.port;
    const pid = r.pid;
    await r.kill();
    t.notOk(processAlive(pid));
    const refused = await r.cliRaw(['-s', r.socketPath, 'ping']);
    t.match(refused.stdout + refused.stderr, /Connection refused|No such file/);
    t0 = Date.now();
    await r.restart();
    t.comment(`redis restart after SIGKILL: ${Date.now() - t0} ms`);
    t.equal(r.port, port);
    t.equal(await r.cli(['ping']), 'PONG');
    t.equal((await r.cliRaw(['-u', r.url({ user: 'default' }), '--no-auth-warning', 'ping'])).stdout.trim(), 'PONG', 'TCP again');
    t.equal(await r.cli(['get', 'shared']), '', 'no persistence by default: the data is gone');
  });

  t.test('aof keeps what was acknowledged', async (t) => {
    const p = await startRedis({ t, aof: true });
    await p.cli(['set', 'durable', 'yes']);
    await p.kill();
    await p.restart();
    t.equal(await p.cli(['get', 'durable']), 'yes');
    await p.stop();
  });

  t.test('stop leaves nothing running', async (t) => {
    const pid = r.pid;
    const port = r.port;
    t0 = Date.now();
    await r.stop();
    t.comment(`redis stop: ${Date.now() - t0} ms`);
    t.notOk(processAlive(pid));
    t.equal(await pgrep(r.dir), '');
    t.notOk(existsSync(r.dir));
    t.ok(await portFree(port));
  });
});

t.test('redis over TLS', { skip: redisSkip ?? skipUnlessRedisTls() }, async (t) => {
  const r: RedisServer = await startRedis({ t, password: 'tls-pw', tls: true });
  t.ok(r.tlsPort > 0 && r.caFile);
  t.equal(r.tlsUrl(), `rediss://:tls-pw@127.0.0.1:${r.tlsPort}`);
  const cli = await r.cliRaw(['-u', r.tlsUrl({ user: 'default' }), '--cacert', r.caFile!, '--no-auth-warning', '-e', 'ping']);
  t.equal(cli.stdout.trim(), 'PONG', cli.stderr);
  const untrusted = await r.cliRaw(['-u', r.tlsUrl({ user: 'default' }), '--cacert', '/etc/ssl/certs/ca-certificates.crt', '--no-auth-warning', '-e', 'ping']);
  t.not(untrusted.exitCode, 0, 'the self-signed certificate is not trusted by default');

  // Node's TLS with the certificate as CA: verified, for both 127.0.0.1 and localhost.
  for (const servername of [undefined, 'localhost']) {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: r.tlsPort, ca: readFileSync(r.caFile!), ...(servername ? { servername } : {}) }, () => {
        s.write('AUTH tls-pw\r\nPING\r\n');
      });
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('PONG')) {
          s.end();
          resolve(got);
        }
      });
      s.on('error', reject);
    });
    t.equal(answer, '+OK\r\n+PONG\r\n', `verified TLS (servername ${servername ?? '127.0.0.1'})`);
  }
});

/**
 * A test process that forgets stop() (its exit hook kills the servers), and one
 * killed with SIGKILL (the servers' parent-death signal does).
 */
t.test('nothing outlives the test process', { skip: pgSkip ?? redisSkip }, async (t) => {
  // The helpers bundled into plain JavaScript (esbuild): a child with the
  // TypeScript loader would spend seconds compiling them.
  const work = mkdtempSync(join(serversTmpDir(), 'autoreply-srvtest-'));
  chmodSync(work, 0o755);
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const bundle = join(work, 'servers.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'servers.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    // execa's dependencies are CommonJS in places: give them a require().
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const templateEnv = await postgresTemplateEnv();
  const run = async (mode: 'forget' | 'sigkill') => {
    let t0 = Date.now();
    const tmp = mkdtempSync(join(work, `${mode}-`));
    chmodSync(tmp, 0o755);
    const code = `
      const s = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const pg = await s.startPostgres();
      const r = await s.startRedis();
      console.log(JSON.stringify({ pids: [...pg.pids(), r.pid], dirs: [pg.dir, r.dir] }));
      // Wait for the parent's go (a line on stdin), then end without stop() ('forget').
      process.stdin.once('data', () => process.stdin.destroy());
      if (${JSON.stringify(mode)} === 'sigkill') setInterval(() => {}, 1000);
    `;
    const child = execa(process.execPath, ['--input-type=module', '-e', code], {
      env: { AUTOREPLY_SERVERS_TMPDIR: tmp, NODE_OPTIONS: '', ...templateEnv },
      stdin: 'pipe',
      reject: false,
      buffer: false,
      stdout: 'pipe',
      stderr: 'inherit',
    });
    const info = await new Promise<{ pids: number[]; dirs: string[] }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out));
      });
      child.once('exit', () => reject(new Error(`child exited before starting the servers: ${out}`)));
    });
    t.ok(info.pids.length > 3 && info.pids.every(processAlive), `${mode}: servers running (${info.pids.length} processes)`);
    t.comment(`${mode}: child started both servers in ${Date.now() - t0} ms`);
    t0 = Date.now();
    if (mode === 'sigkill') child.kill('SIGKILL');
    else child.stdin!.write('go\n');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([child.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
    clearTimeout(timer);
    t.ok(ended, `${mode}: the test process ended (a server does not keep it alive)`);
    if (!ended) child.kill('SIGKILL');
    t.ok(await waitFor(() => !info.pids.some(processAlive), 15_000), `${mode}: every server process ended`);
    t.comment(`${mode}: servers gone ${Date.now() - t0} ms after the end`);
    t.equal(await pgrep(tmp), '', `${mode}: pgrep finds nothing`);
    if (mode === 'forget') t.same(info.dirs.filter((d) => existsSync(d)), [], 'forget: the exit hook removed the folders');
  };
  await Promise.all([run('forget'), run('sigkill')]);
});

t.test('no server of ours is left', async (t) => {
  // Our servers are children of this process while they run.
  const ours = childPids(process.pid);
  const left = [];
  for (const pid of ours) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (/postgres|redis-server/.test(cmd)) left.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  t.same(left, []);
});
