/**
 * The once store on a real LMDB file: once_repeat boundaries, once_file_size
 * eviction order, the rate counter, keys, modes, and every failure mode (exit 75,
 * one line naming the file and the cause, data left as it was).
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { open } from 'lmdb';
import { entryCost } from '../../../src/once/lmdb/entries.js';
import { lockFile } from '../../../src/once/lmdb/lock.js';
import { LmdbOnceStore } from '../../../src/once/lmdb/store.js';
import type { OnceClaim, OnceEntry, OnceStore } from '../../../src/once/store.js';
import { AutoreplyError } from '../../../src/errors.js';
import { tempDir, snapshot, isRoot } from '../util.js';
import { autoreply, fakeSendmail } from '../../helpers/cli.js';
import { runText } from '../../helpers/exec.js';
import { bytes } from '../../../src/bytes.js';
import { lmdbFresh, runScenarios } from '../server-scenarios.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

async function all(s: OnceStore, order: 'key' | 'time' = 'key'): Promise<OnceEntry[]> {
  const out: OnceEntry[] = [];
  for await (const e of s.entries(order, undefined)) out.push(e);
  return out;
}

/** A claim with the rate rule off and no expiry: the fields a test leaves out. */
const claim = (s: OnceStore, c: Omit<OnceClaim, 'maxPerHour' | 'keepMs' | 'scope' | 'key'> & Partial<Omit<OnceClaim, 'key'>> & { key: string }) =>
  s.claim({ maxPerHour: 0, keepMs: 0, scope: '', ...c, key: bytes(c.key) });

/** Entries and their once_file_size cost, as the store counts them. */
async function stats(s: OnceStore): Promise<{ entries: number; bytes: number }> {
  const list = await all(s);
  return { entries: list.length, bytes: list.reduce((n, e) => n + entryCost(e.key), 0) };
}

/** Assert a 75 with one line "once database PATH: ..." matching `cause`. */
type Asserts = Test;

async function rejects75(t: Asserts, p: Promise<unknown>, path: string, cause: RegExp) {
  try {
    await p;
    t.fail('expected a failure');
  } catch (e) {
    t.ok(e instanceof AutoreplyError, 'an AutoreplyError');
    const err = e as AutoreplyError;
    t.equal(err.exitCode, 75, 'exit 75');
    t.notMatch(err.message, /\n/, 'one line');
    t.ok(err.message.startsWith(`once database ${path}: `), `names the file: ${err.message}`);
    t.match(err.message, cause);
  }
}

t.test('the claim and management scenarios every backend runs (server-scenarios.ts)', (t) => runScenarios(t, lmdbFresh(t)));

t.test('once_repeat 0: one reply, ever', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600);
  t.same(await claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0, note: 'Re: hi' }), { send: true });
  const d = await claim(s, { key: 'a@x', repeatMs: 0, now: T0 + 365 * 86400e3, maxBytes: 0 });
  t.same(d, { send: false, previous: { lastReply: T0, count: 1, note: 'Re: hi' } });
  t.same(await all(s), [{ key: 'a@x', lastReply: T0, count: 1, note: 'Re: hi' }]);
});

t.test('once_repeat boundaries: just before no, exactly at yes; clock going back never sends', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600);
  const repeat = 7 * 86400e3;
  t.equal((await claim(s, { key: 'a@x', repeatMs: repeat, now: T0, maxBytes: 0 })).send, true);
  t.equal((await claim(s, { key: 'a@x', repeatMs: repeat, now: T0 + repeat - 1, maxBytes: 0 })).send, false, 'one ms early');
  t.equal((await claim(s, { key: 'a@x', repeatMs: repeat, now: T0 - 1000, maxBytes: 0 })).send, false, 'clock went back');
  const at = await claim(s, { key: 'a@x', repeatMs: repeat, now: T0 + repeat, maxBytes: 0 });
  t.same(at, { send: true, previous: { lastReply: T0, count: 1 } }, 'exactly once_repeat later');
  t.same(await s.get(bytes('a@x'), ''), { key: 'a@x', lastReply: T0 + repeat, count: 2 });
  t.equal((await claim(s, { key: 'a@x', repeatMs: repeat, now: T0 + repeat + 1, maxBytes: 0 })).send, false, 'the clock restarts');
  t.same(await stats(s), { entries: 1, bytes: entryCost(bytes('a@x')) });
});

t.test('once_file_size: oldest last reply goes first, the new entry always stays', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600);
  const cost = entryCost(bytes('u1@example.org')); // all keys below have the same length
  const cap = cost * 3;
  for (let i = 1; i <= 3; i++) await claim(s, { key: `u${i}@example.org`, repeatMs: 1000, now: T0 + i, maxBytes: cap });
  t.same((await all(s)).map((e) => e.key), ['u1@example.org', 'u2@example.org', 'u3@example.org'], 'three fit');
  // u1 is answered again later: it becomes the newest.
  await claim(s, { key: 'u1@example.org', repeatMs: 1000, now: T0 + 5000, maxBytes: cap });
  await claim(s, { key: 'u4@example.org', repeatMs: 1000, now: T0 + 6000, maxBytes: cap });
  t.same((await all(s, 'time')).map((e) => e.key), ['u3@example.org', 'u1@example.org', 'u4@example.org'], 'u2 (oldest) dropped');
  await claim(s, { key: 'u5@example.org', repeatMs: 1000, now: T0 + 7000, maxBytes: cap });
  t.same((await all(s, 'time')).map((e) => e.key), ['u1@example.org', 'u4@example.org', 'u5@example.org'], 'then u3');
  t.same(await stats(s), { entries: 3, bytes: cap });
  // A longer key costs more and can push out two.
  const long = `${'x'.repeat(cost)}@example.org`;
  await claim(s, { key: long, repeatMs: 1000, now: T0 + 8000, maxBytes: cap });
  t.same((await all(s, 'time')).map((e) => e.key), ['u5@example.org', long]);
  // A cap smaller than one entry keeps just the newest.
  await claim(s, { key: 'u6@example.org', repeatMs: 1000, now: T0 + 9000, maxBytes: 1 });
  t.same((await all(s)).map((e) => e.key), ['u6@example.org']);
  t.equal(entryCost(bytes('u1@example.org')), 'u1@example.org'.length + 9, 'an entry costs its Exim cache record: key + 9 bytes');
});

t.test('the rate rule counts replies (not entries) of the last hour, in the claim itself', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600);
  const now = Date.UTC(2026, 5, 1, 12, 0, 0);
  await claim(s, { key: 'old@x', repeatMs: 0, now: now - 2 * 3600e3, maxBytes: 0 });
  for (const k of ['a@x', 'b@x']) await claim(s, { key: k, repeatMs: 0, now, maxBytes: 0 });
  await claim(s, { key: 'a@x', repeatMs: 0, now, maxBytes: 0 }); // suppressed: not a reply
  await claim(s, { key: 'r@x', repeatMs: 1, now: now - 60e3, maxBytes: 0 });
  await claim(s, { key: 'r@x', repeatMs: 1, now: now - 30e3, maxBytes: 0 });
  // 4 replies in the last hour (a, b, and r twice); the one two hours ago does not count
  t.same(await claim(s, { key: 'c@x', repeatMs: 0, now, maxBytes: 0, maxPerHour: 4 }), { send: false, repliesLastHour: 4 }, 'the 5th refused');
  t.equal(await s.get(bytes('c@x'), ''), undefined, 'nothing recorded for a refusal');
  t.same(await claim(s, { key: 'c@x', repeatMs: 0, now, maxBytes: 0, maxPerHour: 5 }), { send: true }, 'under a higher limit it goes');
  t.same(await claim(s, { key: 'd@x', repeatMs: 0, now: now + 3610e3, maxBytes: 0, maxPerHour: 1 }), { send: true }, 'an hour (and one 10-second bucket) later the count is 0 again');
});

t.test('keys: bytes are kept exactly, long keys are fine', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600);
  const latin = 'J\xe9r\xf4me <j@x>'; // bytes that are not UTF-8
  const utf8 = Buffer.from('josé@example.org', 'utf8').toString('latin1');
  const long = `${'a'.repeat(5000)}@example.org`;
  for (const k of [latin, utf8, long]) t.equal((await claim(s, { key: k, repeatMs: 0, now: T0, maxBytes: 0 })).send, true);
  for (const k of [latin, utf8, long]) t.equal((await claim(s, { key: k, repeatMs: 0, now: T0, maxBytes: 0 })).send, false);
  t.same((await all(s)).map((e) => e.key).sort(), [latin, utf8, long].sort());
  t.equal(await s.forget(bytes(long), ''), true);
  t.equal(await s.get(bytes(long), ''), undefined);
});

t.test('files are created with exactly `mode`, whatever the umask', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'once');
  const old = process.umask(0o077);
  try {
    const s = new LmdbOnceStore(db, 0o640);
    await claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 });
  } finally {
    process.umask(old);
  }
  for (const f of [db, `${db}-lock`, `${db}.lock`]) t.equal(statSync(f).mode & 0o777, 0o640, f);
});

t.test('failure: the directory does not exist', async (t) => {
  const db = join(tempDir(t), 'missing', 'once');
  const s = new LmdbOnceStore(db, 0o600);
  await rejects75(t, claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 }), db, /directory .*missing does not exist/);
});

/** Root writes anywhere: this test runs the program as nobody, when it can. */
function nobodySkip(): string | false {
  if (!isRoot()) return 'run as root, which can switch to nobody';
  const r = runText(process.execPath, ['-e', 'process.exit(0)'], { uid: 65534, gid: 65534 });
  return r.status === 0 ? false : 'cannot run node as nobody here';
}

t.test('failure: the directory is not writable', { skip: nobodySkip() }, async (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const db = join(dir, 'once');
  // A clean environment, so that the test runner does not instrument the child.
  const child = runText(
    process.execPath,
    [join(import.meta.dirname, '../../../bin/autoreply'), '--once', db, '--to', 'a@x.org', '--text', 'hi', '--sendmail', '/bin/true', '--sender', 'a@x.org', '--recipient', 'b@y.org'],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, uid: 65534, gid: 65534, input: 'From: a@x.org\nTo: b@y.org\nSubject: s\n\nhi\n' },
  );
  t.equal(child.status, 75, child.stderr);
  t.match(child.stderr, new RegExp(`once database ${db}: directory .* is not writable`));
  t.equal(child.stderr.trim().split('\n').length, 1);
  t.notOk(existsSync(db));
});

t.test('failure: the lock is held too long (and the data stays)', async (t) => {
  const db = join(tempDir(t), 'once');
  const s = new LmdbOnceStore(db, 0o600, 300);
  await claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 });
  const before = snapshot(db);
  const held = lockFile(`${db}.lock`, { exclusive: true, timeoutMs: 1000, mode: 0o600 });
  try {
    const start = Date.now();
    await rejects75(t, claim(s, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), db, /locked by another process for more than 0\.3 s/);
    t.ok(Date.now() - start >= 250, 'waited for the lock');
  } finally {
    held.release();
  }
  t.same(snapshot(db), before, 'data untouched');
  t.same((await all(s)).map((e) => e.key), ['a@x'], 'b@x was not recorded (and so must not be answered)');
});

t.test('failure: a corrupt file (not LMDB at all, or truncated)', async (t) => {
  const dir = tempDir(t);
  const garbage = join(dir, 'garbage');
  writeFileSync(garbage, Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251)));
  const s = new LmdbOnceStore(garbage, 0o600);
  const before = snapshot(garbage);
  await rejects75(t, claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 }), garbage, /not an LMDB database/);
  await rejects75(t, s.get(bytes('a@x'), ''), garbage, /not an LMDB database/);
  t.same(snapshot(garbage), before, 'never reset');

  const short = join(dir, 'short');
  writeFileSync(short, 'x');
  const s2 = new LmdbOnceStore(short, 0o600);
  await rejects75(t, claim(s2, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 }), short, /not an LMDB database/);
  t.equal(readFileSync(short, 'utf8'), 'x');

  // A real database whose meta pages were overwritten.
  const broken = join(dir, 'broken');
  const s3 = new LmdbOnceStore(broken, 0o600);
  await claim(s3, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 });
  const data = readFileSync(broken);
  data.fill(0xff, 24, 4096 * 2);
  writeFileSync(broken, data);
  await rejects75(t, claim(s3, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), broken, /not an LMDB database|damaged/);
  t.same(readFileSync(broken), data, 'never reset');
});

t.test('failure: the path is a symbolic link', async (t) => {
  const dir = tempDir(t);
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const real = join(elsewhere, 'real');
  const sreal = new LmdbOnceStore(real, 0o600);
  await claim(sreal, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 });
  const before = snapshot(real);
  const link = join(dir, 'once');
  symlinkSync(real, link);
  const s = new LmdbOnceStore(link, 0o600);
  await rejects75(t, claim(s, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), link, /symbolic link/);
  t.same(snapshot(real), before);
  const dangling = join(dir, 'dangling');
  symlinkSync(join(dir, 'nowhere'), dangling);
  const s2 = new LmdbOnceStore(dangling, 0o600);
  await rejects75(t, claim(s2, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), dangling, /symbolic link/);
  t.notOk(existsSync(join(dir, 'nowhere')), 'nothing created through the link');
  // A symlinked lock file is refused too.
  const db3 = join(dir, 'db3');
  symlinkSync(join(dir, 'nowhere-lock'), `${db3}.lock`);
  const s3 = new LmdbOnceStore(db3, 0o600);
  await rejects75(t, claim(s3, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), db3, /lock file .*symbolic link/);
});

t.test('failure: an LMDB database created by another program', async (t) => {
  const dir = tempDir(t);
  const foreign = join(dir, 'foreign');
  const other = open(foreign, { noSubdir: true });
  await other.put('user:1', { name: 'not ours' });
  await other.close();
  const before = snapshot(foreign);
  const s = new LmdbOnceStore(foreign, 0o600);
  await rejects75(t, claim(s, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 }), foreign, /created by another program/);
  await rejects75(t, s.clear(), foreign, /created by another program/);
  t.same(snapshot(foreign), before, 'left untouched');
  const check = open(foreign, { noSubdir: true, readOnly: true });
  t.same(check.get('user:1'), { name: 'not ours' });
  await check.close();

  // Ours, but a format from a newer autoreply.
  const newer = join(dir, 'newer');
  const s2 = new LmdbOnceStore(newer, 0o600);
  await claim(s2, { key: 'a@x', repeatMs: 0, now: T0, maxBytes: 0 });
  const raw = open(newer, { noSubdir: true, keyEncoding: 'binary', encoding: 'binary' });
  await raw.put(Buffer.from('\x00format', 'latin1'), Buffer.from(JSON.stringify({ program: 'autoreply', format: 2 })));
  await raw.close();
  await rejects75(t, claim(s2, { key: 'b@x', repeatMs: 0, now: T0, maxBytes: 0 }), newer, /format 2/);
});

// Through real processes, as deliveries meet a full disk: an lmdb environment
// whose commit failed is not reused in-process (lmdb-js may corrupt its heap).
/** A small file system to fill: a 512 KiB tmpfs, when this machine lets us mount one. */
function smallDisk(): { path: string } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-small-'));
  const m = runText('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir]);
  if (m.status === 0) return { path: dir };
  rmSync(dir, { recursive: true, force: true });
  return { skip: `cannot mount a small tmpfs here (${m.stderr.trim() || m.failure})` };
}
const disk = smallDisk();

t.test('failure: disk full', { skip: 'skip' in disk ? disk.skip : false }, async (t) => {
  if (!('path' in disk)) return;
  const mnt = disk.path;
  t.teardown(() => {
    runText('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const db = join(mnt, 'once');
  const sm = fakeSendmail();
  const deliver = (i: number) =>
    autoreply(
      ['--sender', `user${i}@example.org`, '--recipient', 'bob@example.com', '--to', '$reply_address', '--subject', 'Re: $h_subject:',
        '--text', 'hi', '--once', db, '--sendmail', sm.path],
      `From: user${i}@example.org\nTo: bob@example.com\nSubject: ${'no '.repeat(1000)}\n\nx\n`,
    );
  let i = 0;
  let r = deliver(i);
  for (; r.code === 0 && i < 200; r = deliver(++i));
  t.ok(i > 0 && i < 200, `failed after ${i} entries`);
  t.equal(r.code, 75);
  t.match(r.stderr, new RegExp(`^autoreply: once database ${db}: (disk full|database is full)`));
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.equal(sm.messages().length, i, 'no reply that could not be recorded');
  // What was recorded before is still there, and the failed key was not recorded.
  const show = (n: number) => autoreply(['once', 'show', `user${n}@example.org`, '--once', db]);
  t.equal(show(0).code, 0, 'earlier entries intact');
  t.equal(show(i).code, 1, 'the failed one was not recorded');
});
