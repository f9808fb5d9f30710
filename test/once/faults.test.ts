/**
 * A shared once server that fails, seen through real `bin/autoreply`
 * deliveries of two hosts (hosts.ts: host A over TCP, host B over the Unix
 * socket, each with its --config and --once-password-file), for PostgreSQL and
 * Redis (private servers, test/helpers/servers.ts; each skips with one line
 * when not installed). The rule (SPEC 6): exit 75 with one stderr line naming
 * the server — never its password —, nothing submitted, never a hang, never a
 * reply without its record.
 *
 *  - wrong password, no password, wrong database, a read-only server (Redis: a
 *    real read-only replica; PostgreSQL: a role whose transactions are
 *    read-only, as on a hot standby), a listener that never answers (exit 75
 *    after about --once-timeout);
 *  - the server stopped before a delivery (both hosts), then started again: the
 *    next delivery replies once;
 *  - the server dies (frozen, then SIGKILL) while 30 deliveries (30 senders) are
 *    running: each either replied once and its entry is there after the
 *    restart, or exited 75 and submitted nothing; every submission is paired
 *    with a stored entry. The deliveries that deferred are then retried, as the
 *    MTA would: no sender gets a second reply, every sender ends with an entry,
 *    and a new delivery replies;
 *  - a frozen server, a table locked by another session: exit 75 after about
 *    --once-timeout; a connection lost at the goodbye after a recorded claim
 *    (PostgreSQL; a known product bug, its assertions marked todo).
 *
 * Redis runs with appendonly + appendfsync always here: a Redis that may lose
 * acknowledged writes (no AOF) forgets replies after a crash by design.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/servers.js';
import { builtReason } from './util.js';
import {
  deliver,
  failure,
  makeHost,
  MAILBOX,
  PASSWORD,
  skipBackend,
  startShared,
  submissions,
  whereOf,
  type BackendName,
  type Delivered,
  type Host,
  type SharedDb,
} from './hosts.js';

const built = builtReason();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const NS = 'faults';

/**
 * A deferral as the MTA sees it: exit 75, one line on stderr, `autoreply: once
 * database WHERE: ...` matching `cause`, no password (neither the right one nor
 * `alsoSecret`), nothing submitted by this delivery.
 */
function deferred(t: Test, r: Delivered, where: string, cause: RegExp, alsoSecret?: string): void {
  const err = r.stderr.replace(/\n$/, '');
  t.equal(r.exitCode, 75, `exit 75: ${failure(r)}`);
  t.notOk(r.timedOut, 'no hang');
  t.notMatch(err, /\n/, 'one line on stderr');
  t.ok(err.startsWith(`autoreply: once database ${where}: `), `names the server (${where}): ${err}`);
  t.match(err, cause);
  t.notOk(err.includes(PASSWORD), 'not the password');
  if (alsoSecret) t.notOk(err.includes(alsoSecret), 'not the password given either');
}

for (const backend of ['postgres', 'redis'] as BackendName[]) {
  const skip = built ?? skipBackend(backend);
  t.test(`${backend}: a failing server`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `autoreply-faults-${backend}-`));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db: SharedDb = await startShared(backend, t, dir, { aof: true });
    const out = join(dir, 'submitted');
    const A = makeHost(dir, 'A', db.onceA(NS), out, db.password);
    const B = makeHost(dir, 'B', db.onceB(NS), out, db.password);
    const sent = () => submissions(out);
    /** A third host with its own once value and password (or none). */
    let extra = 0;
    const hostWith = (once: string, password: string | undefined): Host => makeHost(dir, `X${extra++}`, once, out, password);
    const senders = new Set<string>();
    /** Replies so far (a delivery that answered despite a fault: the goodbye case). */
    const expectedSent = ['warm@example.net'];
    const entryKeys = async () => (await db.entries(NS)).map((e) => `${e.scope}|${e.key}`);

    // the table (PostgreSQL) exists and holds one entry
    const warm = await deliver(A, 'warm@example.net');
    t.equal(warm.exitCode, 0, failure(warm));
    senders.add('warm@example.net');

    t.test('wrong password', async (t) => {
      const h = hostWith(db.onceA(NS), 'not-the-pw');
      const r = await deliver(h, 'wrongpw@example.org');
      deferred(t, r, whereOf(db.onceA(NS)), backend === 'postgres' ? /password authentication failed for user "app"/ : /authentication failed/, 'not-the-pw');
      const inUrl = backend === 'postgres' ? db.onceA(NS).replace('app@', 'app:url-secret@') : db.onceA(NS).replace('redis://', 'redis://:url-secret@');
      const r2 = await deliver(hostWith(inUrl, undefined), 'wrongpw@example.org');
      deferred(t, r2, whereOf(db.onceA(NS)), /authentication failed/, 'url-secret');
    });

    t.test('no password at all', async (t) => {
      const r = await deliver(hostWith(db.onceA(NS), undefined), 'nopw@example.org');
      deferred(t, r, whereOf(db.onceA(NS)), backend === 'postgres' ? /asks for a password and none was given/ : /requires a password and none was given/);
    });

    t.test('wrong database', async (t) => {
      const once = backend === 'postgres' ? db.onceA(NS).replace('/postgres?', '/nosuchdb?') : db.onceA(NS).replace(/\?/, '/99?');
      const r = await deliver(hostWith(once, db.password), 'wrongdb@example.org');
      deferred(t, r, whereOf(once), backend === 'postgres' ? /database "nosuchdb" does not exist/ : /database 99 does not exist/);
    });

    t.test('a read-only server', async (t) => {
      let once: string;
      if (backend === 'redis') {
        const replica = await db.redis!.startReplica();
        once = `redis://127.0.0.1:${replica.port}?prefix=${NS}:`;
      } else {
        // A role whose every transaction is read-only: what a hot standby answers.
        const pg = db.pg!;
        await pg.psql(
          `CREATE ROLE ro LOGIN PASSWORD '${PASSWORD}'; ALTER ROLE ro SET default_transaction_read_only = on;
           GRANT SELECT, INSERT, UPDATE, DELETE ON ${NS}, ${NS}_rate TO ro;`,
        );
        once = db.onceA(NS).replace('//app@', '//ro@');
      }
      const r = await deliver(hostWith(once, PASSWORD), 'readonly@example.org');
      deferred(t, r, whereOf(once), /read-only/);
    });

    t.test('a listener that never answers: exit 75 after about --once-timeout', async (t) => {
      const sockets: Socket[] = [];
      const silent = createServer((s) => {
        sockets.push(s);
        s.on('error', () => undefined);
      });
      const port = await freePort();
      await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
      t.teardown(() => {
        for (const s of sockets) s.destroy();
        silent.close();
      });
      const once = backend === 'postgres' ? `postgresql://app@127.0.0.1:${port}/postgres?table=${NS}` : `redis://127.0.0.1:${port}?prefix=${NS}:`;
      for (const timeout of [2]) {
        const r = await deliver(hostWith(once, PASSWORD), 'silent@example.org', { onceTimeout: timeout, deadlineMs: 60_000 });
        deferred(t, r, whereOf(once), /timed out/);
        t.comment(`--once-timeout ${timeout}: exit ${r.exitCode} after ${r.ms} ms`);
        t.ok(r.ms >= timeout * 1000 - 100, `waited the timeout (${r.ms} ms)`);
        // process start-up (node, the bundle) comes on top; a loaded machine is slow to start it
        t.ok(r.ms < timeout * 1000 + 15_000, `and not much longer (${r.ms} ms)`);
      }
      t.ok(sockets.length >= 1, 'the delivery did connect');
    });

    t.test('a frozen server (SIGSTOP): exit 75 after about --once-timeout', async (t) => {
      const pid = backend === 'postgres' ? db.pg!.pid : db.redis!.pid;
      process.kill(pid, 'SIGSTOP');
      let r: Delivered;
      try {
        r = await deliver(B, 'frozen@example.org', { onceTimeout: 2, deadlineMs: 60_000 });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      deferred(t, r, whereOf(db.onceB(NS)), /timed out/);
      t.ok(r.ms < 2000 + 15_000, `after ${r.ms} ms`);
    });

    if (backend === 'postgres') {
      t.test('the table locked by another session: exit 75 after about --once-timeout', async (t) => {
        const pg = db.pg!;
        const holder = pg.psqlUrl(pg.socketUrl('postgres', 'postgres', null), `BEGIN; LOCK TABLE ${NS} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;`);
        const end = Date.now() + 30_000;
        while ((await pg.psql(`SELECT count(*) FROM pg_locks WHERE relation = '${NS}'::regclass AND mode = 'AccessExclusiveLock' AND granted`)) !== '1') {
          if (Date.now() > end) throw new Error('the lock was not taken');
          await sleep(50);
        }
        try {
          const r = await deliver(A, 'locked@example.org', { onceTimeout: 2, deadlineMs: 60_000 });
          deferred(t, r, whereOf(db.onceA(NS)), /timed out/);
          t.ok(r.ms >= 1900 && r.ms < 2000 + 15_000, `after ${r.ms} ms`);
        } finally {
          await pg.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`);
          await holder;
        }
      });
    }

    if (backend === 'postgres') {
      // A connection that is lost after the claim, at the goodbye: a proxy that passes
      // everything but the client's Terminate message, so the server never closes.
      // The claim is recorded, so the reply is due: it must go out (exit 0).
      t.test('the goodbye hangs after a recorded claim: the reply still goes out', async (t) => {
        // PostgresOnceStore.close() waits for the server's goodbye at most min(--once-timeout,
        // 2 s), then drops the socket; the recorded claim stands and the reply goes out.
        const pg = db.pg!;
        const sockets: Socket[] = [];
        const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
        const proxy = createServer({ allowHalfOpen: true }, (client) => {
          const server = connect(pg.port, '127.0.0.1');
          sockets.push(client, server);
          client.on('error', () => undefined);
          server.on('error', () => undefined);
          client.on('data', (d: Buffer) => {
            if (!d.equals(TERMINATE)) server.write(d);
          });
          server.on('data', (d: Buffer) => client.write(d));
        });
        const port = await freePort();
        await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
        t.teardown(() => {
          for (const s of sockets) s.destroy();
          proxy.close();
        });
        const once = db.onceA(NS).replace(`:${pg.port}/`, `:${port}/`);
        const r = await deliver(hostWith(once, PASSWORD), 'goodbye@example.org', { onceTimeout: 2, deadlineMs: 12_000 });
        const recorded = (await entryKeys()).includes(`${MAILBOX}|goodbye@example.org`);
        const replied = sent().some((x) => x.to === 'goodbye@example.org');
        t.comment(`exit ${r.exitCode} after ${r.ms} ms: ${r.stderr.trim()}; recorded: ${recorded}; replied: ${replied}`);
        t.ok(recorded, 'the claim was recorded');
        t.notOk(r.timedOut, 'no hang');
        t.equal(r.exitCode, 0, failure(r));
        t.ok(replied, 'and the reply submitted');
        if (r.exitCode !== 0) t.match(r.stderr, /^autoreply: once database /, 'a failure names the server');
        // what the later checks expect, whatever happened here
        if (recorded) senders.add('goodbye@example.org');
        if (replied) expectedSent.push('goodbye@example.org');
      });
    }

    t.test('nothing of the failed deliveries was submitted or recorded', async (t) => {
      t.same(sent().map((x) => x.to), expectedSent, 'only the replies that were due');
      t.same((await entryKeys()).sort(), [...senders].map((s) => `${MAILBOX}|${s}`).sort(), 'only their entries');
    });

    t.test('the server stopped before a delivery; started again, the next delivery replies once', async (t) => {
      await (backend === 'postgres' ? db.pg!.kill() : db.redis!.kill());
      for (const h of [A, B]) {
        const r = await deliver(h, 'down@example.org');
        deferred(t, r, whereOf(h === A ? db.onceA(NS) : db.onceB(NS)), /connection refused|no server socket|closed the connection|reset/);
        t.ok(r.ms < 15_000, `at once (${r.ms} ms)`);
      }
      t.equal(sent().length, expectedSent.length, 'nothing submitted');
      await (backend === 'postgres' ? db.pg!.restart() : db.redis!.restart());
      const r = await deliver(B, 'down@example.org');
      t.equal(r.exitCode, 0, failure(r));
      t.same(sent().slice(expectedSent.length), [{ host: 'B', to: 'down@example.org' }], 'the retry replies, once');
      senders.add('down@example.org');
      t.same((await entryKeys()).sort(), [...senders].map((s) => `${MAILBOX}|${s}`).sort(), 'and is recorded');
    });

    t.test('the server dies while 30 deliveries run: never a submission without its record', async (t) => {
      // 30 deliveries (30 senders, both hosts) started at once. When the first reply is
      // out the server is frozen (SIGSTOP: whatever is connecting, authenticating or
      // waiting for its claim stays so), a moment later killed (SIGKILL), then started
      // again (PostgreSQL recovers what was committed; Redis replays its AOF). Each
      // delivery must have replied with its entry there after the restart, or exited 75
      // having submitted nothing. If the stop came after every claim (a scheduling
      // accident), the round is run again with new senders.
      const freeze = () => {
        const pids = backend === 'postgres' ? db.pg!.pids() : [db.redis!.pid];
        for (const pid of pids) {
          // a backend that ended since the listing may have left its pid to another
          // process (this machine may be starting thousands): stop only a server process
          if (backend === 'postgres' && !/^postgres/.test(readIfThere(`/proc/${pid}/comm`))) continue;
          try {
            process.kill(pid, 'SIGSTOP');
          } catch {
            // ended between the check and the signal
          }
        }
      };
      const kill = () => (backend === 'postgres' ? db.pg!.kill('hard') : db.redis!.kill());
      const restart = () => (backend === 'postgres' ? db.pg!.restart() : db.redis!.restart());
      const N = 30;
      let deferredSeen = 0;
      for (let round = 1; round <= 2 && deferredSeen === 0; round++) {
        const before = sent().length;
        const names = Array.from({ length: N }, (_, i) => `mid${round}.${i}@example.org`);
        const jobs = names.map((name, i) => deliver(i % 2 ? B : A, name, { n: i, onceTimeout: 30, deadlineMs: 120_000 }));
        const deadline = Date.now() + 90_000;
        while (sent().length < before + 1 && Date.now() < deadline) await sleep(5);
        const repliedBeforeStop = sent().length - before;
        freeze();
        await sleep(1500);
        await kill();
        const results = await Promise.all(jobs);
        await restart();

        const subs = sent().slice(before);
        const entries = new Set(await entryKeys());
        const replied = results.filter((r) => r.exitCode === 0);
        const failed = results.filter((r) => r.exitCode !== 0);
        deferredSeen = failed.length;
        t.comment(`round ${round}: frozen with ${repliedBeforeStop} repl${repliedBeforeStop === 1 ? 'y' : 'ies'} out; ${replied.length} replied, ${failed.length} deferred`);
        t.same(results.filter((r) => r.exitCode !== 0 && r.exitCode !== 75).map(failure), [], 'every delivery exits 0 or 75');
        t.same(results.filter((r) => r.timedOut).map(failure), [], 'none hangs');
        for (const r of failed) {
          if (r.exitCode !== 75) continue;
          const err = r.stderr.replace(/\n$/, '');
          const where = whereOf(r.host === 'A' ? db.onceA(NS) : db.onceB(NS));
          if (!err.startsWith(`autoreply: once database ${where}: `) || err.includes('\n') || err.includes(PASSWORD))
            t.fail(`a deferral in one line naming ${where}, without the password: ${JSON.stringify(err)}`);
        }
        // pair each submission with its delivery and its entry
        const count = new Map<string, number>();
        for (const x of subs) count.set(x.to, (count.get(x.to) ?? 0) + 1);
        t.same([...count].filter(([, n]) => n > 1), [], 'no sender has two replies');
        t.same(
          subs.filter((x) => !entries.has(`${MAILBOX}|${x.to}`)).map((x) => x.to),
          [],
          'every submission has its entry after the restart',
        );
        t.same(
          replied.filter((r) => !count.has(r.sender)).map((r) => r.sender),
          [],
          'every delivery that exited 0 submitted its reply',
        );
        t.same(
          failed.filter((r) => count.has(r.sender)).map((r) => r.sender),
          [],
          'no delivery that exited 75 submitted anything',
        );
        const recordedButDeferred = failed.filter((r) => entries.has(`${MAILBOX}|${r.sender}`)).map((r) => r.sender);
        t.comment(`deferred with the entry recorded (that reply is lost, never doubled): ${recordedButDeferred.length ? recordedButDeferred.join(' ') : 'none'}`);

        // the MTA tries the deferred ones again (those with an entry, and ten others)
        const retry = [...failed.filter((r) => recordedButDeferred.includes(r.sender)), ...failed.filter((r) => !recordedButDeferred.includes(r.sender)).slice(0, 10)];
        const retried = await Promise.all(retry.map((r, i) => deliver(r.host === 'A' ? A : B, r.sender, { n: 100 + i })));
        t.same(retried.filter((r) => r.exitCode !== 0).map(failure), [], 'every retry exits 0');
        const again = new Map<string, number>();
        for (const x of sent().slice(before)) again.set(x.to, (again.get(x.to) ?? 0) + 1);
        t.same([...again].filter(([, n]) => n > 1), [], 'still no sender with two replies');
        t.same(
          retry.filter((r) => !recordedButDeferred.includes(r.sender) && again.get(r.sender) !== 1).map((r) => r.sender),
          [],
          'every deferred delivery without an entry replies on its retry',
        );
        t.same(
          recordedButDeferred.filter((x) => again.has(x)),
          [],
          'one with an entry does not (its reply is the one lost)',
        );
        for (const r of [...replied, ...retry]) senders.add(r.sender);
        t.same((await entryKeys()).sort(), [...senders].map((x) => `${MAILBOX}|${x}`).sort(), 'every sender has its entry');
      }
      t.ok(deferredSeen > 0, 'the server died with deliveries under way');

      const next = await deliver(A, 'after@example.org');
      t.equal(next.exitCode, 0, failure(next));
      t.same(sent().filter((x) => x.to === 'after@example.org'), [{ host: 'A', to: 'after@example.org' }], 'the next delivery replies once');
    });
  });
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
