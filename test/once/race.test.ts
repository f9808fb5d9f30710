/**
 * Exactly one reply under load, for each backend of the once database (LMDB,
 * PostgreSQL, Redis): real `bin/autoreply` processes started at once, all for
 * the same sender and the same mailbox, half of them as a second mail host
 * (another HOME, another --config file naming the same database — over the
 * server's Unix socket where host A uses TCP — and its own password file and
 * submission program; see hosts.ts). The database does not exist before the
 * burst (a new LMDB file, PostgreSQL table or Redis prefix), so the processes
 * also race to create it.
 *
 *  - 50 processes, one sender → exactly one reply submitted, one entry stored
 *    (count 1, in the mailbox's scope on a server);
 *  - 20 senders × N messages at once → 20 replies, one per sender, 20 entries.
 *
 * The PostgreSQL and Redis servers are private (test/helpers/servers.ts) and
 * skip with one line when not installed. Volume is `npm run stress`'s job
 * (300 bursts per backend): here AUTOREPLY_RACE_BURSTS bursts of 50 (default
 * 1) and AUTOREPLY_RACE_MESSAGES messages per sender (default 2; the full
 * 20 × 10 = 200 processes per backend is AUTOREPLY_RACE_MESSAGES=10, and
 * `npm run stress -- --senders 20 --procs 200` runs that shape in volume): about 270
 * processes.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtReason } from './util.js';
import { BACKENDS, deliver, failure, makeHost, MAILBOX, skipBackend, startShared, submissions, type Host } from './hosts.js';

const built = builtReason();
const BURSTS = Number(process.env.AUTOREPLY_RACE_BURSTS ?? 1);
const PROCS = 50;
const SENDERS = 20;
const MESSAGES = Number(process.env.AUTOREPLY_RACE_MESSAGES ?? 2);

for (const backend of BACKENDS) {
  const skip = built ?? skipBackend(backend);
  t.test(`${backend}: two hosts, one database`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `autoreply-race-${backend}-`));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const t0 = Date.now();
    const db = await startShared(backend, t, dir);
    if (backend !== 'lmdb') t.comment(`${backend} started in ${Date.now() - t0} ms`);
    const expectScope = backend === 'lmdb' ? undefined : MAILBOX;
    const twoHosts = (ns: string, out: string): [Host, Host] => [
      makeHost(join(dir, ns), 'A', db.onceA(ns), out, db.password),
      makeHost(join(dir, ns), 'B', db.onceB(ns), out, db.password),
    ];

    t.test(`${PROCS} processes on two hosts, one sender, a new database: one reply, one entry`, async (t) => {
      for (let b = 0; b < BURSTS; b++) {
        const ns = `burst${b}`;
        const out = join(dir, `${ns}.submitted`);
        const hosts = twoHosts(ns, out);
        const s = Date.now();
        const results = await Promise.all(Array.from({ length: PROCS }, (_, i) => deliver(hosts[i % 2]!, 'alice@example.org', { onceTimeout: 60, n: i })));
        t.comment(`burst ${b + 1}: ${PROCS} processes in ${Date.now() - s} ms`);
        t.same(results.filter((r) => r.exitCode !== 0).map(failure), [], `burst ${b + 1}: every process exits 0`);
        const sent = submissions(out);
        t.equal(sent.length, 1, `burst ${b + 1}: exactly one reply submitted (${sent.map((x) => `by ${x.host}`).join(', ')})`);
        t.same(sent.map((x) => x.to), ['alice@example.org'], 'to the sender');
        const entries = await db.entries(ns);
        t.same(
          entries.map((e) => ({ scope: e.scope, key: e.key, count: e.count })),
          [{ scope: expectScope, key: 'alice@example.org', count: 1 }],
          `burst ${b + 1}: the database holds one entry${expectScope ? ", in the mailbox's scope" : ''}`,
        );
      }
    });

    t.test(`${SENDERS} senders × ${MESSAGES} messages at once on two hosts: ${SENDERS} replies`, async (t) => {
      const ns = 'senders';
      const out = join(dir, `${ns}.submitted`);
      const hosts = twoHosts(ns, out);
      // a database with an entry already (the table exists: no race to create it here)
      const first = await deliver(hosts[0], 'early@example.net', { onceTimeout: 60 });
      t.equal(first.exitCode, 0, failure(first));
      const senders = Array.from({ length: SENDERS }, (_, i) => `sender${i}@example.org`);
      const jobs = [];
      let n = 0;
      for (let m = 0; m < MESSAGES; m++) for (const s of senders) jobs.push(deliver(hosts[n % 2]!, s, { onceTimeout: 60, n: n++ }));
      const s = Date.now();
      const results = await Promise.all(jobs);
      t.comment(`${jobs.length} processes in ${Date.now() - s} ms`);
      t.same(results.filter((r) => r.exitCode !== 0).map(failure), [], 'every process exits 0');
      const sent = submissions(out)
        .map((x) => x.to)
        .filter((x) => x !== 'early@example.net')
        .sort();
      t.same(sent, [...senders].sort(), `exactly ${SENDERS} replies, one per sender`);
      const entries = await db.entries(ns);
      t.same(
        entries.map((e) => `${e.scope ?? ''}|${e.key}|${e.count}`).sort(),
        ['early@example.net', ...senders].map((k) => `${expectScope ?? ''}|${k}|1`).sort(),
        'one entry per sender, each answered once',
      );
    });
  });
}
