/**
 * `autoreply once ...` on a real LMDB database, run in process (the command,
 * its parsing and its output are bin/autoreply's; test/bin covers the process).
 */
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { LmdbOnceStore } from '../../../src/once/lmdb/store.js';
import { onceRun } from '../../helpers/once.js';
import { tempDir, snapshot } from '../../once/util.js';
import { execa } from 'execa';
import { bytes } from '../../../src/bytes.js';

const DAY = 86400e3;

async function populate(db: string, now: number) {
  const s = new LmdbOnceStore(db, 0o600);
  await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes('alice@example.org'), repeatMs: 0, now: now - 40 * DAY, maxBytes: 0, note: 'Re: old' });
  await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes('bob@example.org'), repeatMs: 0, now: now - 10 * DAY, maxBytes: 0 });
  await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes('a@x.org,c@y.org'), repeatMs: 0, now: now - 1 * DAY, maxBytes: 0, note: 'Re: hi' });
  await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes('bob@example.org'), repeatMs: 1, now: now - 5 * DAY, maxBytes: 0 });
}

t.test('once subcommands', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'once');
  const now = Date.now();
  await populate(db, now);

  t.test('list', async (t) => {
    const r = await onceRun(['list', '--once', db]);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    t.equal(lines.length, 3);
    t.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+1  a@x\.org,c@y\.org  Re: hi$/);
    t.match(lines[1], /\s+1  alice@example\.org  Re: old$/);
    t.match(lines[2], /\s+2  bob@example\.org$/);
    const byTime = (await onceRun(['list', '--by-time', '--once', db])).stdout.trim().split('\n');
    t.match(byTime[0], /alice/);
    t.match(byTime[2], /a@x\.org/);
    const j = await onceRun(['list', '--json', '--once', db]);
    t.equal(j.status, 0);
    const arr = JSON.parse(j.stdout) as { key: string; count: number; lastReply: string; note?: string }[];
    t.same(
      arr.map((e) => [e.key, e.count, e.note]),
      [
        ['a@x.org,c@y.org', 1, 'Re: hi'],
        ['alice@example.org', 1, 'Re: old'],
        ['bob@example.org', 2, undefined],
      ],
    );
    t.equal(Date.parse(arr[2]!.lastReply), now - 5 * DAY);
    const none = await onceRun(['list', '--json', '--once', join(dir, 'nothing-yet')]);
    t.equal(none.status, 0);
    t.same(JSON.parse(none.stdout), []);
  });

  t.test('show', async (t) => {
    const r = await onceRun(['show', 'Alice <ALICE@Example.org>', '--once', db]);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /alice@example\.org  Re: old\n$/);
    const both = await onceRun(['show', 'C@y.org, a@X.org', '--once', db, '--json']);
    t.equal(both.status, 0);
    t.match(JSON.parse(both.stdout), { key: 'a@x.org,c@y.org', count: 1, note: 'Re: hi' });
    const missing = await onceRun(['show', 'nobody@example.org', '--once', db]);
    t.equal(missing.status, 1);
    t.equal(missing.stdout, '');
    t.match(missing.stderr, /^autoreply: no entry for nobody@example\.org in .*once\n$/);
  });

  t.test('forget', async (t) => {
    const r = await onceRun(['forget', 'BOB@example.org', '--once', db]);
    t.equal(r.status, 0, r.stderr);
    t.equal((await onceRun(['show', 'bob@example.org', '--once', db])).status, 1);
    t.equal((await onceRun(['forget', 'bob@example.org', '--once', db])).status, 1, 'already gone');
    t.equal((await onceRun(['list', '--once', db])).stdout.trim().split('\n').length, 2);
  });

  t.test('prune', async (t) => {
    const r = await onceRun(['prune', '--older-than', '30d', '--once', db]);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'pruned 1 entry\n');
    t.same(
      (await onceRun(['list', '--once', db]))
        .stdout.trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[2]),
      ['a@x.org,c@y.org'],
    );
    const bad = await onceRun(['prune', '--older-than', '30', '--once', db]);
    t.equal(bad.status, 64);
    t.match(bad.stderr, /"30" is not an Exim time/);
    t.equal((await onceRun(['prune', '--once', db])).status, 64, '--older-than is required');
  });

  t.test('export, clear, import (round trip)', async (t) => {
    const db2 = join(dir, 'two');
    await populate(db2, now);
    const ex = await onceRun(['export', '--once', db2]);
    t.equal(ex.status, 0, ex.stderr);
    const lines = ex.stdout.trim().split('\n');
    t.equal(lines.length, 3);
    t.match(JSON.parse(lines[2]!), { key: 'bob@example.org', count: 2 });
    const c = await onceRun(['clear', '--once', db2]);
    t.equal(c.status, 0);
    t.equal(c.stdout, 'cleared 3 entries\n');
    t.equal((await onceRun(['list', '--once', db2])).stdout, '');
    const im = await onceRun(['import', '--once', db2], ex.stdout);
    t.equal(im.status, 0, im.stderr);
    t.equal(im.stdout, 'imported 3 of 3 (3 new, 0 updated, 0 already newer)\n');
    t.equal((await onceRun(['export', '--once', db2])).stdout, ex.stdout, 'same entries back');
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, ex.stdout);
    const again = await onceRun(['import', file, '--once', db2]);
    t.equal(again.stdout, 'imported 0 of 3 (0 new, 0 updated, 3 already newer)\n');
    const bad = await onceRun(['import', '--once', db2], '{"key":"x@y"}\nnot json\n');
    t.equal(bad.status, 65);
    t.match(bad.stderr, /standard input: line 1: no "lastReply"/);
  });

  t.test("import Exim's once_file_size cache file", async (t) => {
    const db3 = join(dir, 'from-exim');
    const rec = (secs: number, to: string) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(secs));
      return Buffer.concat([b, Buffer.from(to, 'latin1'), Buffer.from([0])]);
    };
    const cache = Buffer.concat([
      rec(1700000000, 'Alice <Alice@Example.org>'),
      rec(1700000100, 'bob@example.org'),
      rec(1700000200, 'alice@example.org'),
      rec(1700000300, 'partial'), // the last record is cut short below
    ]).subarray(0, -3);
    const file = join(dir, 'exim.cache');
    writeFileSync(file, cache);
    const r = await onceRun(['import', file, '--once', db3]);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'imported 3 of 3 (2 new, 1 updated, 0 already newer)\n');
    const arr = JSON.parse((await onceRun(['list', '--json', '--once', db3])).stdout) as { key: string; lastReply: string }[];
    t.same(
      arr.map((e) => [e.key, e.lastReply]),
      [
        ['alice@example.org', new Date(1700000200e3).toISOString()],
        ['bob@example.org', new Date(1700000100e3).toISOString()],
      ],
    );
    const raw = join(dir, 'from-exim-raw');
    t.equal((await onceRun(['import', file, '--raw-keys', '--format', 'exim-cache', '--once', raw])).status, 0);
    t.match((await onceRun(['list', '--once', raw])).stdout, /Alice <Alice@Example\.org>/);
  });

  t.test('--help for each subcommand, usage errors are 64', async (t) => {
    for (const sub of ['list', 'show', 'forget', 'prune', 'clear', 'export', 'import']) {
      const r = await onceRun([sub, '--help']);
      t.equal(r.status, 0, `${sub} --help`);
      t.match(r.stdout, new RegExp(`autoreply once ${sub}`));
      t.match(r.stdout, /--once/);
    }
    t.equal((await onceRun(['--help'])).status, 0);
    const noDb = await onceRun(['list']);
    t.equal(noDb.status, 64);
    t.match(noDb.stderr, /give the database with --once/);
    t.equal(noDb.stderr.trim().split('\n').length, 1);
    t.equal((await onceRun(['frobnicate', '--once', db])).status, 64);
    t.equal((await onceRun(['list', '--bogus', '--once', db])).status, 64);
    t.equal((await onceRun([])).status, 64);
  });

  t.test('failures: a corrupt database and a held lock give 75 and one line', async (t) => {
    const bad = join(dir, 'corrupt');
    writeFileSync(bad, 'this is not a database\n'.repeat(500));
    const before = snapshot(bad);
    for (const args of [['list'], ['clear'], ['forget', 'a@b'], ['import']]) {
      const r = await onceRun([...args, '--once', bad], '');
      t.equal(r.status, 75, `${args[0]}: ${r.stderr}`);
      t.match(r.stderr, new RegExp(`^autoreply: once database ${bad}: is not an LMDB database`));
      t.equal(r.stderr.trim().split('\n').length, 1);
    }
    t.same(snapshot(bad), before);

    const holder = execa('flock', ['-x', `${db}.lock`, 'sleep', '5'], { reject: false });
    t.teardown(() => holder.kill());
    await new Promise((r) => setTimeout(r, 300));
    process.env.AUTOREPLY_ONCE_LOCK_TIMEOUT = '0.5';
    t.teardown(() => delete process.env.AUTOREPLY_ONCE_LOCK_TIMEOUT);
    const r = await onceRun(['list', '--once', db]);
    t.equal(r.status, 75);
    t.match(r.stderr, /^autoreply: once database .*: locked by another process for more than 0\.5 s/);
    holder.kill();
  });
  t.equal(readFileSync(db).length > 0, true);
});
