/**
 * Exactly one reply under load: real `autoreply` processes started at once, all
 * for the same sender and the same once file — which does not exist before the
 * burst — with a submission program that records each call.
 * (`npm run stress` runs hundreds of such bursts; this runs a few.)
 */
import t from 'tap';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { LmdbOnceStore } from '../../src/once/lmdb/store.js';
import { tempDir, cliAsync, builtReason, recordingSendmail, lines, MESSAGE } from './util.js';

const skip = builtReason();
const BURSTS = Number(process.env.AUTOREPLY_RACE_BURSTS ?? 3);

function deliver(db: string, sender: string, sendmail: string) {
  return cliAsync(
    ['--once', db, '--to', sender, '--text', 'hi', '--sendmail', sendmail, '--sender', sender, '--recipient', 'bob@example.com'],
    MESSAGE(`Someone <${sender}>`),
    // A burst on a slow machine can queue for a while: wait rather than defer.
    { ...process.env, AUTOREPLY_ONCE_LOCK_TIMEOUT: '300' },
  );
}

t.test('50 processes, one sender, a new database: exactly one reply', { skip }, async (t) => {
  const dir = tempDir(t, 'race');
  for (let b = 0; b < BURSTS; b++) {
    const sub = join(dir, `b${b}`);
    mkdirSync(sub);
    const out = join(sub, 'submitted');
    const sendmail = recordingSendmail(sub, out);
    const db = join(sub, 'once');
    const results = await Promise.all(Array.from({ length: 50 }, () => deliver(db, 'alice@example.org', sendmail)));
    const failed = results.filter((r) => r.status !== 0);
    t.same(failed.map((r) => `${r.status}: ${r.stderr.trim()}`), [], `burst ${b + 1}: every process exits 0`);
    t.equal(lines(out).length, 1, `burst ${b + 1}: exactly one reply submitted`);
    const entries: string[] = [];
    for await (const e of new LmdbOnceStore(db, 0o600).entries('key', undefined)) entries.push(`${e.key} ${e.count}`);
    t.same(entries, ['alice@example.org 1'], `burst ${b + 1}: the database holds one entry`);
  }
});

t.test('20 senders x 10 messages each at once: exactly 20 replies', { skip }, async (t) => {
  const dir = tempDir(t, 'race20');
  const out = join(dir, 'submitted');
  const sendmail = recordingSendmail(dir, out);
  const db = join(dir, 'once');
  const senders = Array.from({ length: 20 }, (_, i) => `sender${i}@example.org`);
  const jobs = [];
  for (let m = 0; m < 10; m++) for (const s of senders) jobs.push(deliver(db, s, sendmail));
  const results = await Promise.all(jobs);
  t.same(
    results.filter((r) => r.status !== 0).map((r) => r.stderr.trim()),
    [],
    'every process exits 0',
  );
  t.equal(lines(out).length, 20, 'exactly 20 replies');
  const s = new LmdbOnceStore(db, 0o600);
  const keys: string[] = [];
  for await (const e of s.entries('key', undefined)) keys.push(e.key);
  t.same(keys, [...senders].sort(), 'one entry per sender');
  const probe = await s.claim({ key: 'probe@example.org', now: Date.now(), repeatMs: 0, maxPerHour: 20, maxBytes: 0, keepMs: 0, scope: '' });
  t.same(probe, { send: false, repliesLastHour: 20 }, 'the rate counter saw 20 replies');
});
