/**
 * The once database on a real PostgreSQL server (test/helpers/servers.ts):
 * the claim means what it means on LMDB, races between many connections give
 * one reply, the management operations, and every failure is exit 75 in one
 * line naming the server, never with the password, never a hang.
 */
import t, { type Test } from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessPostgres, startPostgres, freePort, type PostgresServer } from '../../helpers/servers.js';
import { openPostgresStore } from '../../../src/once/postgres/store.js';
import { createAllSql, createClaimSql, LOCK_CLASS, pgNames } from '../../../src/once/postgres/schema.js';
import { parseOnceTarget, type PostgresTarget } from '../../../src/once/url.js';
import type { OnceStore } from '../../../src/once/store.js';
import { claimOf, into, list, plain, serverScenarios, T0 } from '../server-scenarios.js';
import { bytes } from '../../../src/bytes.js';

const skip = skipUnlessPostgres();
const HOUR = 3_600_000;

function target(url: string): PostgresTarget {
  const tg = parseOnceTarget(url);
  if (tg.kind !== 'postgres') throw new Error(`not a PostgreSQL URL: ${url}`);
  return tg;
}

async function open(url: string, opts: { timeoutMs?: number; password?: string } = {}): Promise<OnceStore> {
  return openPostgresStore(target(url), { timeoutMs: opts.timeoutMs ?? 5000, ...(opts.password !== undefined ? { password: opts.password } : {}) });
}

/** Expect an exit 75 with one line `once database WHERE: ...` matching `cause`, without `secret`. */
async function rejects75(t: Test, p: Promise<unknown>, where: string, cause: RegExp, secret?: string): Promise<string> {
  try {
    await p;
    t.fail(`expected a failure matching ${cause}`);
    return '';
  } catch (e) {
    const err = e as { exitCode?: number; message: string; stack?: string };
    t.equal(err.exitCode, 75, `exit 75: ${err.message}`);
    t.notMatch(err.message, /\n/, 'one line');
    t.ok(err.message.startsWith(`once database ${where}: `), `names the server: ${err.message}`);
    t.match(err.message, cause);
    if (secret) t.notOk(err.message.includes(secret), 'no password in the message');
    return err.message;
  }
}

t.test('PostgreSQL once store', { skip }, async (t) => {
  const t0 = Date.now();
  const pg = await startPostgres({ t });
  t.comment(`postgres started in ${Date.now() - t0} ms`);
  const app = await pg.createRole('app', 'app-secret-pw');
  let tableNo = 0;
  const fresh = async () => open(`${app.url()}?table=t${tableNo++}`);

  serverScenarios(t, fresh);

  t.test('the table an administrator sees', async (t) => {
    const s = await open(`${app.url()}?table=Admin_View`);
    await s.claim(claimOf('Zoë <z@x.org>', T0 + 123, { note: 'Re: hi' }));
    await s.claim(claimOf('Zoë <z@x.org>', T0 + 456, { scope: 'bob@example.org', maxPerHour: 10 }));
    await s.close();
    const rows = await pg.psql(
      "SELECT scope, encode(key, 'escape'), to_char(last_reply AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), count, note, key_sha256 = sha256(key) FROM admin_view ORDER BY scope",
    );
    t.equal(
      rows,
      '|Zo\\353 <z@x.org>|2025-01-01 12:00:00.123|1|Re: hi|t\nbob@example.org|Zo\\353 <z@x.org>|2025-01-01 12:00:00.456|1||t',
      'scope text, bytea key (latin1 bytes), timestamptz to the ms, count, note',
    );
    t.equal(await pg.psql('SELECT scope, bucket, replies FROM admin_view_rate ORDER BY scope'), `|${T0 / 10000}|1\nbob@example.org|${T0 / 10000}|1`, 'the rate history per scope');
    const idx = await pg.psql("SELECT indexdef FROM pg_indexes WHERE tablename = 'admin_view' ORDER BY indexname");
    t.match(idx, /\(last_reply\)/, 'an index on last_reply');
    t.match(idx, /admin_view_pkey ON public\.admin_view USING btree \(scope, key_sha256\)/, 'the primary key: (scope, key_sha256)');
    t.match(await pg.psql("SELECT indexdef FROM pg_indexes WHERE tablename = 'admin_view_rate'"), /\(scope, bucket\)/, 'the rate table keyed by (scope, bucket)');
    t.equal(await pg.psql("SELECT collation_name FROM information_schema.columns WHERE table_name = 'admin_view' AND column_name = 'scope'"), 'C', 'scopes compared byte by byte');
    t.match(await pg.psql("SELECT pg_get_function_identity_arguments(oid) FROM pg_proc WHERE proname = 'admin_view_claim'"), 'p_scope text, p_key bytea, p_now bigint, p_repeat bigint, p_max_per_hour integer, p_note text');
  });

  t.test('a table made by an older autoreply (no scope column): one clear line, for every operation', async (t) => {
    const url = `${app.url()}?table=old_style`;
    const where = target(url).where;
    // the tables of the previous version, as its init made them
    const r = await pg.psqlUrl(
      app.url(),
      `CREATE TABLE old_style (key bytea NOT NULL, key_sha256 bytea GENERATED ALWAYS AS (sha256(key)) STORED PRIMARY KEY,
         last_reply timestamptz NOT NULL, count bigint NOT NULL DEFAULT 1, note text);
       CREATE TABLE old_style_rate (bucket bigint PRIMARY KEY, replies integer NOT NULL);
       INSERT INTO old_style (key, last_reply) VALUES ('\\x6f6c64'::bytea, now());`,
    );
    t.equal(r.exitCode, 0, r.stderr);
    const line = /: tables old_style and old_style_rate were created by an older autoreply \(no column "scope": every mailbox's entries together\): rename or drop old_style, old_style_rate and the function old_style_claim, then run "autoreply once init --once postgresql:\/\/app@127\.0\.0\.1:\d+\/postgres"$/;
    const s = await open(url);
    await rejects75(t, s.claim(claimOf('x@x.org', T0)), where, line, app.password);
    await rejects75(t, s.get(bytes('old'), ''), where, line);
    await rejects75(t, list(s, 'key'), where, line);
    await rejects75(t, s.prune(T0, undefined), where, line);
    await rejects75(t, s.import([{ key: bytes('x'), lastReply: T0, count: 1 }], into()), where, line);
    await rejects75(t, s.init(), where, line);
    const report = await s.check();
    t.notOk(report.ok);
    t.match(report.lines.join('\n'), /tables old_style and old_style_rate were created by an older autoreply/);
    // the function of this version made by hand (say, the example file run on the old tables): the same line
    await pg.psql(createClaimSql(pgNames('old_style')));
    await rejects75(t, s.claim(claimOf('x@x.org', T0)), where, line);
    await s.close();
    t.equal(await pg.psql('SELECT count(*) FROM old_style'), '1', 'nothing was changed');
  });

  t.test('races: one reply per key, whatever the number of connections', async (t) => {
    const url = `${app.url()}?table=race`;
    const stores = await Promise.all(Array.from({ length: 50 }, () => open(url)));
    try {
      const now = Date.now();
      const verdicts = await Promise.all(stores.map((s) => s.claim(claimOf('race@x.org', now, { note: 'r' }))));
      t.equal(verdicts.filter((v) => v.send).length, 1, '50 claims for one key at once: one send');
      t.equal(await pg.psql('SELECT count(*) FROM race'), '1', 'one row');

      // 20 keys x 10 claims, spread over the 50 connections
      const jobs: Promise<boolean>[] = [];
      const queues = stores.map(() => Promise.resolve());
      for (let i = 0; i < 200; i++) {
        const s = stores[i % stores.length]!;
        const key = `k${i % 20}@x.org`;
        const p = queues[i % stores.length]!.then(() => s.claim(claimOf(key, now)).then((v) => v.send));
        queues[i % stores.length] = p.then(() => undefined);
        jobs.push(p);
      }
      const sends = (await Promise.all(jobs)).filter(Boolean).length;
      t.equal(sends, 20, '200 claims over 20 keys: 20 sends');
      t.equal(await pg.psql('SELECT count(*), sum(count) FROM race'), '21|21');

      // the rate rule exact under concurrency: 30 new keys at once, 5 an hour
      const rated = await Promise.all(stores.slice(0, 30).map((s, i) => s.claim(claimOf(`rate${i}@x.org`, now, { maxPerHour: 26 }))));
      t.equal(rated.filter((v) => v.send).length, 5, 'limit 26 with 21 recorded: exactly 5 of 30 concurrent claims send');
      t.same(
        [...new Set(rated.filter((v) => !v.send).map((v) => JSON.stringify(v)))],
        [JSON.stringify({ send: false, repliesLastHour: 26 })],
        'the others: refused with 26 replies in the last hour',
      );
      t.equal(await pg.psql("SELECT count(*) FROM race WHERE encode(key, 'escape') LIKE 'rate%'"), '5', 'nothing written for the refused');
      t.equal(await pg.psql('SELECT sum(replies) FROM race_rate'), '26', 'the rate history counts every reply');

      // scopes: 50 claims for one key split between two mailboxes, two sends
      const split = await Promise.all(stores.map((s, i) => s.claim(claimOf('both@x.org', now, { scope: i % 2 ? 'bob@x.org' : 'carol@x.org' }))));
      t.equal(split.filter((v) => v.send).length, 2, '50 claims for one key in two mailboxes at once: two sends');
      t.equal(await pg.psql("SELECT string_agg(scope, ',' ORDER BY scope) FROM race WHERE encode(key, 'escape') = 'both@x.org'"), 'bob@x.org,carol@x.org');
      // the rate rule per mailbox under concurrency: 40 new keys, 20 per mailbox, 7 an hour each
      const perScope = await Promise.all(
        stores.slice(0, 40).map((s, i) => s.claim(claimOf(`pr${i}@x.org`, now, { scope: i % 2 ? 'rate-bob@x.org' : 'rate-carol@x.org', maxPerHour: 7 }))),
      );
      t.equal(perScope.filter((v, i) => v.send && i % 2).length, 7, "bob's mailbox: exactly 7 of 20 send");
      t.equal(perScope.filter((v, i) => v.send && !(i % 2)).length, 7, "carol's mailbox: exactly 7 of 20 send");
      t.equal(await pg.psql("SELECT string_agg(scope || '=' || replies, ',' ORDER BY scope) FROM race_rate WHERE scope LIKE 'rate-%'"), 'rate-bob@x.org=7,rate-carol@x.org=7');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  t.test("the rate rule's lock is per mailbox: one mailbox's claims do not wait for another's", async (t) => {
    const url = `${app.url()}?table=lockscope`;
    const [warm, a, b] = await Promise.all([open(url), open(url, { timeoutMs: 1000 }), open(url, { timeoutMs: 1000 })]);
    await warm.init();
    await warm.close();
    await Promise.all([a.get(bytes('warm-up'), ''), b.get(bytes('warm-up'), '')]); // connected
    // hold bob's lock, as a claim of bob's that may send holds it until it commits
    const { Client } = await import('pg');
    const locker = new Client({ connectionString: app.url() });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, 'lockscope:bob@x.org']);
    try {
      let started = Date.now();
      t.same(plain(await b.claim(claimOf('x@x.org', T0, { scope: 'carol@x.org', maxPerHour: 5 }))), { send: true }, "carol's claim goes on");
      t.ok(Date.now() - started < 900, `at once (${Date.now() - started} ms)`);
      started = Date.now();
      await rejects75(t, a.claim(claimOf('x@x.org', T0, { scope: 'bob@x.org', maxPerHour: 5 })), target(url).where, /timed out after 1 s/);
      t.ok(Date.now() - started >= 900, "bob's waited for bob's lock");
      // without a rate limit no lock is taken
      const c = await open(url, { timeoutMs: 1000 });
      t.same(plain(await c.claim(claimOf('y@x.org', T0, { scope: 'bob@x.org' }))), { send: true }, 'without a limit: no lock');
      await c.close();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await Promise.all([a.close(), b.close()]);
    }
  });

  t.test('rate history stays bounded: buckets older than an hour go', async (t) => {
    const s = await open(`${app.url()}?table=bounded`);
    for (let i = 0; i < 30; i++) await s.claim(claimOf(`b${i}@x.org`, T0 + i * 5 * 60_000));
    await s.close();
    const n = Number(await pg.psql('SELECT count(*) FROM bounded_rate'));
    t.ok(n <= 13, `${n} buckets for 2.5 hours of replies every 5 minutes`);
  });

  t.test('init: creates everything; then a role without CREATE works; the example SQL file', async (t) => {
    const s = await open(`${pg.url()}?table=made_by_init`);
    await s.init();
    await s.init(); // again: nothing to do
    await s.close();
    t.equal(await pg.psql("SELECT to_regclass('made_by_init') IS NOT NULL, to_regclass('made_by_init_rate') IS NOT NULL"), 't|t');

    // the example file, as an administrator runs it, for a restricted role
    const mail = await pg.createRestrictedRole('mailrole', 'mail-pw');
    const sql = readFileSync(new URL('../../../examples/shared/once-postgresql.sql', import.meta.url), 'utf8');
    await pg.psql(sql);
    const m = await open(mail.url());
    t.same(plain(await m.claim(claimOf('ex@x.org', T0))), { send: true }, 'mailrole claims on the tables of the example file');
    t.same(plain(await m.claim(claimOf('ex@x.org', T0 + 1))), { send: false, previous: { lastReply: T0, count: 1 } });
    t.same(plain(await m.claim(claimOf('ex@x.org', T0 + 1, { scope: 'bob@x.org', maxPerHour: 3 }))), { send: true }, 'in a scope, with a rate limit');
    t.equal(await m.prune(T0 + 1, undefined), 1, 'and prunes');
    t.same(await m.import([{ key: bytes('imp@x.org'), lastReply: T0, count: 2 }], into('bob@x.org')), { added: 1, updated: 0, skipped: 0 }, 'and imports');
    t.equal(await m.clear('bob@x.org'), 2, 'and clears a scope');
    t.equal(await m.clear(undefined), 0, 'and all');
    await m.init(); // everything exists: nothing to create, no error
    const report = await m.check();
    t.ok(report.ok, report.lines.join('\n'));
    t.match(report.lines.join('\n'), /mailrole may claim/);
    await m.close();

    // the file's SQL is the program's SQL
    const own = createAllSql(pgNames('autoreply_once'));
    for (const stmt of own.split(/;\n/).map((x) => x.trim()).filter(Boolean)) {
      const first = stmt.split('\n')[0]!;
      t.ok(sql.includes(first), `the example has: ${first}`);
    }
    t.ok(sql.includes(own.slice(own.indexOf('DECLARE'), own.indexOf('$claim$;'))), 'the example has the same claim function body');
  });

  t.test('a role that may not create tables, and no table: the init hint', async (t) => {
    const ro = await pg.createRestrictedRole('nocreate', 'nc-pw');
    const url = `${ro.url()}?table=nothing_here`;
    const s = await open(url);
    const where = target(url).where;
    const msg = await rejects75(t, s.claim(claimOf('x@x.org', T0)), where, /table nothing_here .*does not exist and user "nocreate" may not create it/, 'nc-pw');
    t.match(msg, /autoreply once init --once postgresql:\/\/nocreate@127\.0\.0\.1:\d+\/postgres/);
    t.match(msg, /examples\/shared\/once-postgresql\.sql/);
    // reads find nothing, as on a database never written
    t.equal(await s.get(bytes('x@x.org'), ''), undefined);
    t.same(await list(s, 'key'), []);
    t.same(await list(s, 'any', 'bob@x.org'), []);
    t.equal(await s.forget(bytes('x@x.org'), ''), false);
    t.equal(await s.prune(T0, undefined), 0);
    t.equal(await s.clear('bob@x.org'), 0);
    const report = await s.check();
    t.notOk(report.ok);
    t.match(report.lines.join('\n'), /missing, and nocreate may not create them/);
    await rejects75(t, s.init(), where, /may not create it/);
    await s.close();
    // a table without the privileges
    await pg.psql('CREATE TABLE IF NOT EXISTS nothing_here (x int)');
    await pg.psql('DROP TABLE nothing_here');
    const su = await open(`${pg.url()}?table=not_granted`);
    await su.init();
    await su.close();
    const s2 = await open(`${ro.url()}?table=not_granted`);
    await rejects75(t, s2.claim(claimOf('x@x.org', T0)), target(`${ro.url()}?table=not_granted`).where, /permission denied for table not_granted.*needs SELECT, INSERT, UPDATE, DELETE/);
    const r2 = await s2.check();
    t.notOk(r2.ok);
    t.match(r2.lines.join('\n'), /nocreate lacks SELECT, INSERT, UPDATE, DELETE on not_granted/);
    await s2.close();
  });

  t.test('Unix socket URL, PGPASSWORD, ~/.pgpass, --once-password-file', async (t) => {
    const sockUrl = app.socketUrl();
    t.match(sockUrl, /\?host=\//);
    const s = await open(`${sockUrl}&table=sock`);
    t.equal(s.where, `postgresql://app@/postgres?host=${pg.socketDir}&port=${pg.port}`);
    t.same(plain(await s.claim(claimOf('s@x.org', T0))), { send: true });
    await s.close();

    const noPw = `${app.url('postgres', null)}?table=pw`;
    const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
    const dir = mkdtempSync(join(tmpdir(), 'autoreply-pgpass-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    process.env.PGPASSFILE = join(dir, 'none');
    delete process.env.PGPASSWORD;
    await rejects75(t, (await open(noPw)).claim(claimOf('p@x.org', T0)), target(noPw).where, /asks for a password and none was given/);

    const withFile = await open(noPw, { password: app.password });
    t.ok((await withFile.claim(claimOf('p@x.org', T0))).send !== undefined, 'the password of --once-password-file');
    await withFile.close();

    process.env.PGPASSWORD = app.password;
    const withEnv = await open(noPw);
    t.same(plain(await withEnv.get(bytes('nothing@x.org'), '')), undefined, 'PGPASSWORD');
    await withEnv.close();
    delete process.env.PGPASSWORD;

    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, `# test\n127.0.0.1:${pg.port}:postgres:app:${app.password}\n${pg.socketDir}:${pg.port}:*:app:${app.password}\n`, { mode: 0o600 });
    process.env.PGPASSFILE = pgpass;
    for (const url of [noPw, `${app.socketUrl('postgres', null)}&table=pw`]) {
      const viaPgpass = await open(url);
      t.equal(await viaPgpass.get(bytes('nothing@x.org'), ''), undefined, `~/.pgpass (${url.includes('?host=') ? 'socket' : 'TCP'})`);
      await viaPgpass.close();
    }
    chmodSync(pgpass, 0o644);
    const msg = await rejects75(t, (await open(noPw)).get(bytes('x'), ''), target(noPw).where, /password/);
    t.match(msg, /none was given \(URL, --once-password-file, PGPASSWORD or ~\/\.pgpass\); .*pgpass was ignored: others may read it \(chmod 600\)$/, 'a pgpass file others can read is ignored, and the line says so');

    // the URL's password wins over the others
    process.env.PGPASSWORD = 'wrong';
    const urlWins = await open(`${app.url()}?table=pw`, { password: 'wrong-too' });
    t.equal(await urlWins.get(bytes('x'), ''), undefined);
    await urlWins.close();
  });

  t.test('failures: exit 75, one line, the server named, no password, no hang', async (t) => {
    const tm = 1000;
    // wrong password
    const badPw = app.url('postgres', 'not-the-password');
    const w = target(badPw).where;
    t.notMatch(w, /not-the-password/);
    await rejects75(t, (await open(badPw, { timeoutMs: tm })).claim(claimOf('x@x.org', T0)), w, /password authentication failed for user "app"$/, 'not-the-password');
    // wrong database
    const badDb = app.url('nope');
    await rejects75(t, (await open(badDb)).claim(claimOf('x@x.org', T0)), target(badDb).where, /database "nope" does not exist$/, app.password);
    // nothing listening
    const port = await freePort();
    const refused = `postgresql://app:pw@127.0.0.1:${port}/db`;
    await rejects75(t, (await open(refused)).claim(claimOf('x@x.org', T0)), `postgresql://app@127.0.0.1:${port}/db`, /: connection refused$/, 'pw');
    const noSock = `postgresql://app@/db?host=${join(tmpdir(), 'no-such-dir')}`;
    await rejects75(t, (await open(noSock)).claim(claimOf('x@x.org', T0)), target(noSock).where, /no server socket at .*\.s\.PGSQL\.5432/);
    // a listener that never answers
    const silent = await silentListener(t);
    const hang = `postgresql://app:pw@127.0.0.1:${silent}/db`;
    let started = Date.now();
    await rejects75(t, (await open(hang, { timeoutMs: tm })).claim(claimOf('x@x.org', T0)), `postgresql://app@127.0.0.1:${silent}/db`, /timed out after 1 s connecting$/);
    let took = Date.now() - started;
    t.ok(took >= tm - 50 && took < tm + 2500, `gave up after ${took} ms`);
    // TLS wanted, the server has none
    const tlsUrl = `${app.url()}?sslmode=require`;
    await rejects75(t, (await open(tlsUrl)).claim(claimOf('x@x.org', T0)), target(tlsUrl).where, /the server does not accept TLS \(sslmode=require\)$/);
    // a statement that waits too long (a row locked by someone else): the server cancels it
    const s = await open(`${app.url()}?table=slow`, { timeoutMs: tm });
    await s.claim(claimOf('slow@x.org', T0));
    const { Client } = await import('pg');
    const locker = new Client({ connectionString: app.url() });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM slow FOR UPDATE');
    started = Date.now();
    await rejects75(t, s.claim(claimOf('slow@x.org', T0 + 2 * HOUR)), target(`${app.url()}?table=slow`).where, /timed out after 1 s/);
    took = Date.now() - started;
    t.ok(took < tm + 2500, `gave up after ${took} ms`);
    await s.close();
    await locker.query('ROLLBACK');
    await locker.end();
  });

  t.test('a server that stops: 75 (never a reply without its record)', async (t) => {
    const pg2 = await startPostgres({ t });
    const url = `${pg2.url()}?table=stops`;
    const s = await open(url);
    t.same(plain(await s.claim(claimOf('x@x.org', T0))), { send: true });
    await pg2.kill();
    const where = target(url).where;
    await rejects75(t, s.claim(claimOf('y@x.org', T0)), where, /closed the connection|terminat|connection refused|reset/);
    await rejects75(t, s.claim(claimOf('z@x.org', T0)), where, /./);
    await s.close();
    const s2 = await open(url);
    await rejects75(t, s2.claim(claimOf('y@x.org', T0)), where, /: connection refused$/);
    await s2.close();
    await pg2.restart();
    const s3 = await open(url);
    t.same(plain(await s3.get(bytes('x@x.org'), '')), { key: 'x@x.org', lastReply: T0, count: 1 }, 'the record survived');
    await s3.close();
  });

  t.test('check() on a working database', async (t) => {
    const s = await open(`${app.url()}?table=checked`);
    await s.claim(claimOf('c1@x.org', T0));
    await s.claim(claimOf('c2@x.org', Date.now()));
    await s.claim(claimOf('c2@x.org', Date.now(), { scope: 'bob@x.org' }));
    const r = await s.check();
    t.ok(r.ok, r.lines.join('\n'));
    const text = r.lines.join('\n');
    t.match(text, /PostgreSQL 1\d/);
    t.match(text, /table checked: 3 entries of 2 mailboxes, last replies from 2025-01-01T12:00:00\.000Z to /);
    t.match(text, /rate history: 2 replies recorded in the last hour \(all mailboxes\)/);
    t.notMatch(text, /app-secret-pw/);
    await s.close();
  });

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

void ({} as PostgresServer);
