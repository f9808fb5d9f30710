/**
 * The once database on a real Redis server (test/helpers/servers.ts): the claim
 * means what it means on LMDB, races between many connections give one reply,
 * entries expire, the management operations, and every failure is exit 75 in
 * one line naming the server, never with the password, never a hang.
 */
import t, { type Test } from 'tap';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { skipUnlessRedis, skipUnlessRedisTls, startRedis, startReplica, freePort, type RedisServer } from '../../helpers/servers.js';
import { openRedisStore, globEscape } from '../../../src/once/redis/store.js';
import { parseOnceTarget, type RedisTarget } from '../../../src/once/url.js';
import type { OnceStore, ServerStoreOptions } from '../../../src/once/store.js';
import { BINARY_KEY, claimOf, into, list, plain, serverScenarios, T0 } from '../server-scenarios.js';
import { bytes } from '../../../src/bytes.js';

const skip = skipUnlessRedis();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

function target(url: string): RedisTarget {
  const tg = parseOnceTarget(url);
  if (tg.kind !== 'redis') throw new Error(`not a Redis URL: ${url}`);
  return tg;
}

async function open(url: string, opts: Partial<ServerStoreOptions> = {}): Promise<OnceStore> {
  return openRedisStore(target(url), { timeoutMs: 5000, ...opts });
}

const withQuery = (url: string, q: string) => `${url}${url.includes('?') ? '&' : '?'}${q}`;

async function rejects75(t: Test, p: Promise<unknown>, where: string, cause: RegExp, secret?: string): Promise<string> {
  try {
    await p;
    t.fail(`expected a failure matching ${cause}`);
    return '';
  } catch (e) {
    const err = e as { exitCode?: number; message: string };
    t.equal(err.exitCode, 75, `exit 75: ${err.message}`);
    t.notMatch(err.message, /\n/, 'one line');
    t.ok(err.message.startsWith(`once database ${where}: `), `names the server: ${err.message}`);
    t.match(err.message, cause);
    if (secret) t.notOk(err.message.includes(secret), 'no password in the message');
    return err.message;
  }
}

/** A raw client on the server, to look at what the store wrote. */
async function raw(t: Test, server: RedisServer) {
  const { Redis } = await import('ioredis');
  const r = new Redis({ path: server.socketPath, password: server.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await r.connect();
  t.teardown(() => r.disconnect());
  return r;
}

t.test('Redis once store', { skip }, async (t) => {
  const t0 = Date.now();
  const redis = await startRedis({ t, password: 'redis-secret-pw' });
  t.comment(`redis started in ${Date.now() - t0} ms`);
  let n = 0;
  const fresh = async () => open(withQuery(redis.url(), `prefix=s${n++}:`));

  serverScenarios(t, fresh);

  t.test('what the server holds: binary keys, hashes, times to live, the rate history', async (t) => {
    const r = await raw(t, redis);
    const s = await open(withQuery(redis.url(), 'prefix=ttl:'));
    const now = Date.now();
    t.same(plain(await s.claim(claimOf(BINARY_KEY, now, { keepMs: 7 * DAY, note: 'Re: bin' }))), { send: true });
    const key = Buffer.concat([Buffer.from('ttl:\0'), Buffer.from(BINARY_KEY, 'latin1')]);
    t.same(await r.hgetall(key), { t: String(now), c: '1', n: 'Re: bin' }, "a hash at prefix + scope ('') + NUL + the key bytes");
    t.same(plain(await s.claim(claimOf(BINARY_KEY, now, { scope: 'zo\u00eb@example.org', maxPerHour: 10 }))), { send: true });
    const scoped = Buffer.concat([Buffer.from('ttl:zo\u00eb@example.org\0', 'utf8'), Buffer.from(BINARY_KEY, 'latin1')]);
    t.same(await r.hgetall(scoped), { t: String(now), c: '1' }, 'in a scope: prefix + the scope (UTF-8) + NUL + the key bytes');
    t.equal(await r.type(Buffer.from('ttl:zo\u00eb@example.org\x01rate', 'utf8')), 'hash', "the scope's rate history: prefix + scope + \\x01rate");
    const ttl = await r.pttl(key);
    t.ok(ttl > 7 * DAY - 5000 && ttl <= 7 * DAY, `expires after keepMs (${ttl} ms)`);
    // the next reply renews it
    await s.claim(claimOf(BINARY_KEY, now + 8 * DAY, { repeatMs: 7 * DAY, keepMs: 30 * DAY }));
    t.ok((await r.pttl(key)) > 29 * DAY, 'a reply sets the time to live again');
    const rateKey = Buffer.from('ttl:\x01rate', 'latin1');
    t.equal(await r.type(rateKey), 'hash', "the rate history of scope '': a hash at the prefix + \\x01rate");
    const rttl = await r.pttl(rateKey);
    t.ok(rttl > 3_600_000 && rttl <= 3_660_000, `the rate history expires an hour and a minute after the last reply (${rttl})`);
    t.same(
      (await list(s, 'key')).map((e) => [e.scope ?? '', e.key]),
      [
        ['', BINARY_KEY],
        ['zo\u00eb@example.org', BINARY_KEY],
      ],
      'the rate histories are no entries',
    );
    // a refused claim writes nothing, not even a TTL change
    await r.pexpire(key, 1_000_000);
    t.same(plain(await s.claim(claimOf(BINARY_KEY, now + 8 * DAY + 1, { keepMs: 5 }))), {
      send: false,
      previous: { lastReply: now + 8 * DAY, count: 2, note: 'Re: bin' },
    });
    t.ok((await r.pttl(key)) > 900_000, 'untouched');
    await s.close();
  });

  t.test('import: an imported entry lives until its last reply + keepMs, in its scope', async (t) => {
    const r = await raw(t, redis);
    const s = await open(withQuery(redis.url(), 'prefix=imp:'));
    const now = Date.now();
    await r.hset('imp:bob@x.org\0forever@x.org', 't', String(now - 10 * DAY), 'c', '1');
    const res = await s.import(
      [
        { key: bytes('recent@x.org'), lastReply: now - 10 * DAY, count: 2 },
        { key: bytes('ancient@x.org'), lastReply: now - 2 * YEAR, count: 9 },
        { key: bytes('forever@x.org'), lastReply: now - 1 * DAY, count: 3 },
        { key: bytes('theirs@x.org'), scope: 'carol@x.org', lastReply: now - 10 * DAY, count: 1 },
      ],
      into('bob@x.org', YEAR),
    );
    t.same(res, { added: 2, updated: 1, skipped: 1 }, 'an entry older than keepMs is over already: skipped');
    const ttl = await r.pttl('imp:bob@x.org\0recent@x.org');
    t.ok(Math.abs(ttl - (YEAR - 10 * DAY)) < 60_000, `last reply + keepMs (${ttl})`);
    t.equal(await r.exists('imp:bob@x.org\0ancient@x.org'), 0);
    t.equal(await r.pttl('imp:bob@x.org\0forever@x.org'), -1, 'a key without a time to live keeps none');
    t.equal(await r.hget('imp:bob@x.org\0forever@x.org', 'c'), '3');
    t.ok(Math.abs((await r.pttl('imp:carol@x.org\0theirs@x.org')) - (YEAR - 10 * DAY)) < 60_000, "an entry's own scope");
    await s.import([{ key: bytes('k@x.org'), lastReply: now - 10 * DAY, count: 1 }], into('', 30 * DAY));
    const ttl2 = await r.pttl('imp:\0k@x.org');
    t.ok(Math.abs(ttl2 - 20 * DAY) < 60_000, `keepMs (--once-max-age) sets it (${ttl2})`);
    await s.import([{ key: bytes('k0@x.org'), lastReply: now - 10 * YEAR, count: 1 }], into('', 0));
    t.equal(await r.pttl('imp:\0k0@x.org'), -1, 'keepMs 0: kept for ever');
    await s.close();
  });

  t.test('a prefix with glob characters matches itself only', async (t) => {
    const r = await raw(t, redis);
    const prefix = 'g*[ab]?\\:';
    t.equal(globEscape(Buffer.from(prefix)).toString(), 'g\\*\\[ab\\]\\?\\\\:');
    const s = await open(withQuery(redis.url(), `prefix=${encodeURIComponent(prefix)}`));
    await s.claim(claimOf('mine@x.org', T0));
    // entries by their shape (a NUL after the prefix), and the unescaped pattern g*[ab]?\\:* would match them
    await r.hset('gXa?:\0other@x.org', 't', String(T0), 'c', '1');
    await r.hset('gZbQ:bob\0other@x.org', 't', String(T0), 'c', '1');
    await r.hset('gZbQ:\x01rate', '1', '1');
    t.same((await list(s, 'key')).map((e) => e.key), ['mine@x.org']);
    t.same((await list(s, 'any')).map((e) => e.key), ['mine@x.org']);
    t.equal(await s.prune(T0 + 1, undefined), 1);
    t.equal(await s.clear(undefined), 0);
    t.same(await r.hgetall('gXa?:\0other@x.org'), { t: String(T0), c: '1' }, 'other keys untouched');
    t.equal(await r.exists('gZbQ:bob\0other@x.org'), 1);
    t.equal(await r.exists('gZbQ:\x01rate'), 1);
    await s.close();
  });

  t.test('races: one reply per key, whatever the number of connections', async (t) => {
    const url = withQuery(redis.url(), 'prefix=race:');
    const stores = await Promise.all(Array.from({ length: 50 }, () => open(url)));
    try {
      const now = Date.now();
      const verdicts = await Promise.all(stores.map((s) => s.claim(claimOf('race@x.org', now))));
      t.equal(verdicts.filter((v) => v.send).length, 1, '50 claims for one key at once: one send');
      const jobs: Promise<boolean>[] = [];
      for (let i = 0; i < 200; i++) jobs.push(stores[i % 50]!.claim(claimOf(`k${i % 20}@x.org`, now)).then((v) => v.send));
      t.equal((await Promise.all(jobs)).filter(Boolean).length, 20, '200 claims over 20 keys: 20 sends');
      const rated = await Promise.all(stores.slice(0, 30).map((s, i) => s.claim(claimOf(`rate${i}@x.org`, now, { maxPerHour: 26 }))));
      t.equal(rated.filter((v) => v.send).length, 5, 'limit 26 with 21 recorded: exactly 5 of 30 concurrent claims send');
      t.same([...new Set(rated.filter((v) => !v.send).map((v) => JSON.stringify(v)))], [JSON.stringify({ send: false, repliesLastHour: 26 })]);
      t.equal((await list(stores[0]!, 'key')).length, 26, 'one entry per reply');

      // scopes: 50 claims for one key split between two mailboxes, two sends
      const split = await Promise.all(stores.map((s, i) => s.claim(claimOf('both@x.org', now, { scope: i % 2 ? 'bob@x.org' : 'carol@x.org' }))));
      t.equal(split.filter((v) => v.send).length, 2, '50 claims for one key in two mailboxes at once: two sends');
      t.same(
        (await list(stores[0]!, 'key', undefined)).filter((e) => e.key === 'both@x.org').map((e) => e.scope),
        ['bob@x.org', 'carol@x.org'],
      );
      // the rate rule per mailbox under concurrency: 40 new keys, 20 per mailbox, 7 an hour each
      const perScope = await Promise.all(
        stores.slice(0, 40).map((s, i) => s.claim(claimOf(`pr${i}@x.org`, now, { scope: i % 2 ? 'rate-bob@x.org' : 'rate-carol@x.org', maxPerHour: 7 }))),
      );
      t.equal(perScope.filter((v, i) => v.send && i % 2).length, 7, "bob's mailbox: exactly 7 of 20 send");
      t.equal(perScope.filter((v, i) => v.send && !(i % 2)).length, 7, "carol's mailbox: exactly 7 of 20 send");
      t.equal((await list(stores[0]!, 'key', 'rate-bob@x.org')).length, 7);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  t.test('Unix socket URLs, ACL users, --once-password-file', async (t) => {
    const acl = await startRedis({ t, user: { name: 'mail', password: 'acl-pw' } });
    for (const url of [acl.socketUrl({ user: 'mail' }), acl.socketUrl({ user: 'mail' }, 'unix'), acl.url({ user: 'mail' })]) {
      const s = await open(url);
      t.notMatch(s.where, /acl-pw/);
      t.same((await s.claim(claimOf('u@x.org', T0, { repeatMs: 0 }))).send !== undefined, true, url.replace('acl-pw', '***'));
      await s.close();
    }
    t.equal(target(acl.socketUrl({ user: 'mail', db: 2 })).where, `redis+unix://${acl.socketPath}?username=mail&db=2`);
    const s = await open(acl.url({ user: 'mail', password: null }), { password: 'acl-pw' });
    t.same(plain(await s.get(bytes('u@x.org'), '')), { key: 'u@x.org', lastReply: T0, count: 1 }, 'the password of --once-password-file; the three URLs share one record');
    await s.close();
    const w = await open(acl.url({ user: 'mail', password: 'bad-pw' }));
    await rejects75(t, w.claim(claimOf('u@x.org', T0)), `redis://mail@127.0.0.1:${acl.port}`, /authentication failed for user "mail"/, 'bad-pw');
  });

  t.test('failures: exit 75, one line, the server named, no password, no hang', async (t) => {
    const base = `redis://127.0.0.1:${redis.port}`;
    await rejects75(t, (await open(redis.url({ password: 'wrong-pw' }))).claim(claimOf('x', T0)), base, /: authentication failed for user "default"/, 'wrong-pw');
    await rejects75(t, (await open(redis.url({ password: null }))).claim(claimOf('x', T0)), base, /: the server requires a password and none was given/);
    await rejects75(t, (await open(redis.url({ db: 99 }))).claim(claimOf('x', T0)), `${base}/99`, /: database 99 does not exist/, 'redis-secret-pw');
    const port = await freePort();
    await rejects75(t, (await open(`redis://:pw@127.0.0.1:${port}`)).claim(claimOf('x', T0)), `redis://127.0.0.1:${port}`, /: connection refused$/, 'pw');
    await rejects75(t, (await open('redis+unix:///nonexistent/redis.sock')).get(bytes('x'), ''), 'redis+unix:///nonexistent/redis.sock', /: no server socket at \/nonexistent\/redis\.sock/);
    const silent = await silentListener(t);
    const started = Date.now();
    await rejects75(t, (await open(`redis://127.0.0.1:${silent}`, { timeoutMs: 1000 })).claim(claimOf('x', T0)), `redis://127.0.0.1:${silent}`, /: timed out after 1 s connecting$/);
    const took = Date.now() - started;
    t.ok(took >= 950 && took < 3500, `gave up after ${took} ms`);
    // a command that takes too long (the server busy in a script of someone else)
    const s = await open(withQuery(redis.url(), 'prefix=slow:'), { timeoutMs: 1000 });
    await s.get(bytes('warm-up'), '');
    const busy = redis.cli(['eval', 'local t = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 3000000 then break end end return 1', '0']);
    // redis-cli may be slow to start on a loaded machine: claim only once the server is seen busy
    t.ok(await serverBusy(redis.port), 'the server is busy running the script');
    const s0 = Date.now();
    await rejects75(t, s.claim(claimOf('slow@x.org', T0)), base, /: (timed out after 1 s waiting for the server|the server is busy running a script)$/);
    t.ok(Date.now() - s0 < 3500, `gave up after ${Date.now() - s0} ms`);
    await s.close();
    await busy.catch(() => undefined);
  });

  t.test('a read-only replica: 75', async (t) => {
    const replica = await startReplica(redis, { t });
    const url = withQuery(replica.url(), 'prefix=ro:');
    const s = await open(url);
    const where = `redis://127.0.0.1:${replica.port}`;
    await rejects75(t, s.claim(claimOf('r@x.org', T0)), where, /: the server is a read-only replica \(give the primary\)$/, 'redis-secret-pw');
    const report = await s.check();
    t.notOk(report.ok);
    t.match(report.lines.join('\n'), /role slave|role replica/);
    await s.close();
  });

  t.test('a server that stops: 75', async (t) => {
    const r2 = await startRedis({ t, aof: true });
    const url = withQuery(r2.url(), 'prefix=stop:');
    const s = await open(url);
    t.same(plain(await s.claim(claimOf('x@x.org', T0))), { send: true });
    await r2.kill();
    const where = `redis://127.0.0.1:${r2.port}`;
    await rejects75(t, s.claim(claimOf('y@x.org', T0)), where, /closed the connection|connection refused|reset/);
    await s.close();
    await rejects75(t, (await open(url)).claim(claimOf('y@x.org', T0)), where, /: connection refused$/);
    await r2.restart();
    const s2 = await open(url);
    t.same(plain(await s2.get(bytes('x@x.org'), '')), { key: 'x@x.org', lastReply: T0, count: 1 }, 'the acknowledged record survived (AOF)');
    await s2.close();
  });

  t.test('check()', async (t) => {
    const s = await open(withQuery(redis.url(), 'prefix=chk:'));
    await s.claim(claimOf('a@x.org', Date.now()));
    let r = await s.check();
    t.ok(r.ok, r.lines.join('\n'));
    t.match(r.lines.join('\n'), /Redis 7?\d*\.\d+\.\d+, role master/);
    t.match(r.lines.join('\n'), /prefix "chk:": 1 entry of 1 mailbox$/m);
    t.match(r.lines.join('\n'), /rate history: 1 replies recorded in the last hour \(all mailboxes\)/);
    t.notMatch(r.lines.join('\n'), /not autoreply's/);
    await s.claim(claimOf('a@x.org', Date.now(), { scope: 'bob@x.org' }));
    await s.claim(claimOf('b@x.org', Date.now(), { scope: 'bob@x.org' }));
    // keys of the previous layout (PREFIX KEY, PREFIX \0rate) or of another program
    await redis.cli(['set', 'chk:old@x.org', 'x']);
    r = await s.check();
    t.match(r.lines.join('\n'), /prefix "chk:": 3 entries of 2 mailboxes$/m);
    t.match(r.lines.join('\n'), /rate history: 3 replies recorded in the last hour \(all mailboxes\)/);
    t.match(r.lines.join('\n'), /warning: 1 key under the prefix is not autoreply's \(another program's, or an older autoreply's layout\)/);
    t.ok(r.ok, 'a warning only');
    await redis.cli(['del', 'chk:old@x.org']);
    await redis.cli(['config', 'set', 'maxmemory', '100mb']);
    await redis.cli(['config', 'set', 'maxmemory-policy', 'allkeys-lru']);
    r = await s.check();
    t.match(r.lines.join('\n'), /warning: maxmemory \d+ with maxmemory-policy allkeys-lru: when memory is full Redis evicts any key/);
    await redis.cli(['config', 'set', 'maxmemory-policy', 'volatile-ttl']);
    t.match((await s.check()).lines.join('\n'), /evicts keys with a time to live, which every entry has/);
    await redis.cli(['config', 'set', 'maxmemory-policy', 'noeviction']);
    t.notMatch((await s.check()).lines.join('\n'), /warning/);
    await redis.cli(['config', 'set', 'maxmemory', '0']);
    t.notMatch(r.lines.join('\n'), /redis-secret-pw/);
    await s.init();
    await s.close();
  });
});

t.test('Redis over TLS', { skip: skip ?? skipUnlessRedisTls() }, async (t) => {
  const redis = await startRedis({ t, tls: true, password: 'tls-pw' });
  const where = `rediss://127.0.0.1:${redis.tlsPort}`;
  const good = withQuery(redis.tlsUrl(), `ca=${encodeURIComponent(redis.caFile!)}&prefix=tls:`);
  const s = await open(good);
  t.equal(s.where, where);
  t.same(plain(await s.claim(claimOf('tls@x.org', T0))), { send: true }, 'the right CA: works');
  await s.close();
  // the system's CAs do not know this self-signed certificate
  await rejects75(t, (await open(redis.tlsUrl())).claim(claimOf('x', T0)), where, /: TLS failure: the server's certificate is not trusted \(self-signed\); give the CA that signed it with \?ca=FILE$/, 'tls-pw');
  // a CA that did not sign the server's certificate
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-wrong-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // prettier-ignore
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdin: 'ignore' });
  const wrongCa = withQuery(redis.tlsUrl(), `ca=${encodeURIComponent(join(dir, 'ca.pem'))}`);
  await rejects75(t, (await open(wrongCa)).claim(claimOf('x', T0)), where, /: TLS failure: the server's certificate is not trusted \(self-signed\); the CA in .*ca\.pem did not sign it$/, 'tls-pw');
  // TLS to the plain port: no TLS answer, bounded
  const plainPort = `rediss://:tls-pw@127.0.0.1:${redis.port}?ca=${encodeURIComponent(redis.caFile!)}`;
  await rejects75(t, (await open(plainPort, { timeoutMs: 1000 })).claim(claimOf('x', T0)), `rediss://127.0.0.1:${redis.port}`, /timed out after 1 s connecting|TLS/);
});

/** A TCP listener that accepts and never says a word. */
async function silentListener(t: Test): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** Waits (up to 20 s) until the server on `port` stops answering at once: a script is running. */
async function serverBusy(port: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const answered = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      let decided = false;
      const done = (v: boolean) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        c.destroy();
        resolve(v);
      };
      // any reply (PONG, or NOAUTH with a password) means the server is free; the
      // verdict waits for one more turn of the event loop, so that a reply that came
      // while this process was stalled is read first
      const timer = setTimeout(() => setImmediate(() => done(false)), 150);
      c.on('data', () => done(true));
      c.on('error', () => done(true));
      c.write('PING\r\n');
    });
    if (!answered) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
