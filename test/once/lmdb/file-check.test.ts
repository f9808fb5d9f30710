/**
 * checkLmdbFile / verifyLmdbFile on real LMDB files (made through lmdb-js and
 * through the once store), intact and damaged the ways a disk or an admin
 * damages them: truncated to 0, 100 bytes, one page, half; random bytes over
 * the meta pages, over a root page, over a later page; single meta fields
 * changed. And the initialised marker that tells a new empty file from a
 * truncated one.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'lmdb';
import {
  checkLmdbFile,
  clearInitMarker,
  ensureInitMarker,
  INIT_MARKER,
  readInitMarker,
  verifyLmdbFile,
  writeInitMarker,
  type LmdbFileState,
  type LmdbVerifyResult,
} from '../../../src/once/lmdb/file-check.js';
import { LmdbOnceStore } from '../../../src/once/lmdb/store.js';
import type { OnceEntry } from '../../../src/once/store.js';
import { tempDir } from '../util.js';
import { bytes } from '../../../src/bytes.js';

const OPTIONS = { noSubdir: true, keyEncoding: 'binary', encoding: 'binary', overlappingSync: false, compression: false, cache: false, maxDbs: 1 } as const;
const T0 = Date.UTC(2026, 0, 1);

// Meta page field offsets (page header 24 bytes + MDB_meta, 64-bit, little-endian).
const M = { magic: 24, version: 28, mapsize: 40, psize: 48, envFlags: 52, mainRoot: 136, lastPg: 144, txnid: 152 };

/** A database with `n` entries written through lmdb-js in `txns` transactions. */
async function makeDb(path: string, n: number, opts: { txns?: number; pageSize?: number; valueSize?: number } = {}): Promise<void> {
  const db = open(path, { ...OPTIONS, ...(opts.pageSize ? { pageSize: opts.pageSize } : {}) });
  const txns = opts.txns ?? 1;
  for (let k = 0; k < txns; k++) {
    db.transactionSync(() => {
      for (let i = k; i < n; i += txns) db.putSync(Buffer.from(`\x01user${i}@example.org`), Buffer.alloc(opts.valueSize ?? 40, 0x61));
    });
  }
  await db.close();
}

/** Read the keys back through LMDB itself (proves a file it accepted is really usable). */
async function lmdbCount(path: string): Promise<number> {
  const db = open(path, OPTIONS);
  let n = 0;
  for (const _ of db.getKeys()) n++;
  await db.close();
  return n;
}

function copy(t: Test, src: string): string {
  const dst = join(tempDir(t), 'db');
  copyFileSync(src, dst);
  return dst;
}

/** Overwrite bytes at `offset` (the file keeps its size). */
function poke(path: string, offset: number, bytes: Buffer): void {
  const b = readFileSync(path);
  bytes.copy(b, offset);
  writeFileSync(path, b);
}

const u64 = (v: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

/** Which meta page LMDB uses (the larger txnid), and its fields. */
function newerMeta(path: string, psize = 4096) {
  const b = readFileSync(path);
  const t0 = b.readBigUInt64LE(M.txnid);
  const t1 = b.readBigUInt64LE(psize + M.txnid);
  const base = t0 >= t1 ? 0 : psize;
  return { base, lastPg: Number(b.readBigUInt64LE(base + M.lastPg)), root: Number(b.readBigUInt64LE(base + M.mainRoot)), txnid: t0 >= t1 ? t0 : t1 };
}

function damagedReason(t: Test, r: LmdbFileState | LmdbVerifyResult, re: RegExp, what?: string): void {
  t.equal(r.state, 'damaged', what ?? 'damaged');
  if (r.state === 'damaged') {
    t.match(r.reason, re, r.reason);
    t.notMatch(r.reason, /\n/, 'one line');
  }
}

const littleEndian = endianness() === 'LE';

t.test('absent, and a 0-byte file without a marker is a new database', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  t.same(checkLmdbFile(db), { state: 'absent' });
  t.same(verifyLmdbFile(db), { state: 'absent' });
  writeFileSync(db, '');
  t.same(checkLmdbFile(db), { state: 'empty' }, 'no lock file at all');
  writeFileSync(`${db}.lock`, '');
  t.same(checkLmdbFile(db), { state: 'empty' }, 'an empty lock file (created, never committed)');
  t.same(verifyLmdbFile(db), { state: 'empty' });
});

t.test('a 0-byte file whose lock file has the marker was truncated: refused', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const s = new LmdbOnceStore(db, 0o600);
  await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes('a@x'), repeatMs: 0, now: T0, maxBytes: 0 });
  t.equal(checkLmdbFile(db).state, 'ok');
  t.equal(ensureInitMarker(`${db}.lock`), false, 'the store wrote it at its first commit');
  t.equal(ensureInitMarker(`${db}.lock`), false, 'then left alone');
  t.equal(readFileSync(`${db}.lock`, 'utf8'), INIT_MARKER);
  truncateSync(db, 0);
  damagedReason(t, checkLmdbFile(db), /^empty \(0 bytes\) although a database was committed to it: truncated$/);
  damagedReason(t, verifyLmdbFile(db), /^empty \(0 bytes\)/);
  t.same(checkLmdbFile(db, { lockPath: false }), { state: 'empty' }, 'lockPath: false does not look');
  t.same(checkLmdbFile(db, { lockPath: join(dir, 'elsewhere.lock') }), { state: 'empty' }, 'another lock path');
  // The caller's step before creating a data file where there is none:
  clearInitMarker(`${db}.lock`);
  t.equal(readInitMarker(`${db}.lock`), false);
  t.same(checkLmdbFile(db), { state: 'empty' });
});

t.test('marker helpers', async (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'db.lock');
  t.equal(readInitMarker(lock), false, 'no lock file: no marker');
  clearInitMarker(lock); // nothing to clear: no error, nothing created
  t.throws(() => statSync(lock));
  writeFileSync(lock, '');
  t.equal(readInitMarker(lock), false);
  writeInitMarker(lock);
  t.equal(readInitMarker(lock), true);
  t.equal(statSync(lock).size, Buffer.byteLength(INIT_MARKER));
  writeFileSync(lock, 'x');
  t.equal(readInitMarker(lock), true, 'any content counts (a torn write still means "was committed")');
  writeInitMarker(lock);
  t.equal(readFileSync(lock, 'utf8'), INIT_MARKER, 'rewritten whole');
  clearInitMarker(lock);
  t.equal(statSync(lock).size, 0);
  t.throws(() => writeInitMarker(join(dir, 'missing.lock')), { code: 'ENOENT' }, 'never creates the lock file');
});

t.test('intact databases: ok, with the numbers LMDB uses', async (t) => {
  const dir = tempDir(t);
  const one = join(dir, 'one');
  await makeDb(one, 1);
  const r = checkLmdbFile(one);
  t.same(r, { state: 'ok', pageSize: 4096, lastPage: newerMeta(one).lastPg, txnId: 1n });
  const v = verifyLmdbFile(one);
  t.equal(v.state, 'ok');
  if (v.state === 'ok') t.equal(v.entries, 1);

  const many = join(dir, 'many');
  await makeDb(many, 3000, { txns: 7 });
  const m = newerMeta(many);
  t.same(checkLmdbFile(many), { state: 'ok', pageSize: 4096, lastPage: m.lastPg, txnId: 7n });
  const vm = verifyLmdbFile(many);
  t.equal(vm.state, 'ok');
  if (vm.state === 'ok') {
    t.equal(vm.entries, 3000);
    t.equal(vm.fileSize, statSync(many).size);
    t.equal(vm.pages.branch + vm.pages.leaf + vm.pages.overflow + vm.pages.free + vm.pages.unaccounted, vm.lastPage - 1, 'every page accounted for');
  }

  // big values live on overflow pages
  const big = join(dir, 'big');
  await makeDb(big, 50, { valueSize: 9000 });
  const vb = verifyLmdbFile(big);
  t.equal(vb.state, 'ok');
  if (vb.state === 'ok') t.equal(vb.pages.overflow, 150, '3 overflow pages per 9000-byte value');

  // the once store's own file, after deliveries, an import, a prune and a clear
  const store = join(dir, 'store');
  const s = new LmdbOnceStore(store, 0o600);
  for (let i = 0; i < 20; i++) await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes(`s${i}@x`), repeatMs: 0, now: T0 + i, maxBytes: 200 });
  const entries: OnceEntry[] = [];
  for (let i = 0; i < 4000; i++) entries.push({ key: bytes(`u${i}@example.org`), lastReply: T0 - i * 60e3, count: 1 });
  await s.import(entries, { maxBytes: 0, keepMs: 0, scope: '' });
  t.equal(checkLmdbFile(store).state, 'ok');
  t.equal(verifyLmdbFile(store).state, 'ok');
  await s.prune(T0 - 1000 * 60e3);
  t.equal(verifyLmdbFile(store).state, 'ok', 'after prune');
  await s.clear();
  t.equal(checkLmdbFile(store).state, 'ok');
  t.equal(verifyLmdbFile(store).state, 'ok', 'after clear');

  // a file LMDB initialised but never committed to
  const fresh = join(dir, 'fresh');
  await open(fresh, OPTIONS).close();
  t.same(checkLmdbFile(fresh), { state: 'ok', pageSize: 4096, lastPage: 1, txnId: 0n });
});

t.test('other page sizes', async (t) => {
  for (const pageSize of [8192, 65536]) {
    const db = join(tempDir(t), 'db');
    await makeDb(db, 2000, { pageSize });
    const r = checkLmdbFile(db);
    t.equal(r.state, 'ok', `${pageSize}`);
    if (r.state === 'ok') t.equal(r.pageSize, pageSize);
    t.equal(verifyLmdbFile(db).state, 'ok');
    truncateSync(db, pageSize + 100);
    damagedReason(t, checkLmdbFile(db), new RegExp(`^truncated: ${pageSize + 100} bytes, less than its two header pages \\(${2 * pageSize}\\)$`));
  }
});

t.test('truncated files are refused before LMDB maps them (SIGBUS / SIGSEGV otherwise)', async (t) => {
  const src = join(tempDir(t), 'src');
  await makeDb(src, 2000);
  const size = statSync(src).size;
  const { lastPg } = newerMeta(src);
  t.equal(size, (lastPg + 1) * 4096, 'the intact file covers every page');
  for (const [len, re] of [
    [100, /^truncated: 100 bytes, less than its two header pages \(8192\)$/],
    [10, /^truncated, or not an LMDB database: 10 bytes/],
    [4096, /^truncated: 4096 bytes, less than its two header pages \(8192\)$/],
    [8192, new RegExp(`^truncated: 8192 bytes, the database needs \\d+$`)],
    [size / 2, new RegExp(`^truncated: ${size / 2} bytes, the database needs ${size}$`)],
    [size - 4096, new RegExp(`^truncated: ${size - 4096} bytes, the database needs ${size}$`)],
    [size - 1, new RegExp(`^truncated: ${size - 1} bytes, the database needs ${size}$`)],
  ] as const) {
    const db = copy(t, src);
    truncateSync(db, len);
    damagedReason(t, checkLmdbFile(db), re, `truncated to ${len}`);
    damagedReason(t, verifyLmdbFile(db), re);
  }
});

/**
 * Random transactions (a fixed seed) until LMDB itself leaves the file shorter
 * than mm_last_pg says: pages a transaction allocated at the end and freed again
 * go on the free list without ever being written. Returns the pages missing.
 */
async function lmdbShortFile(path: string, seed: number): Promise<number> {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const keys = new Set<string>();
  const db = open(path, OPTIONS);
  try {
    for (let c = 0; c < 50; c++) {
      db.transactionSync(() => {
        const n = [1, 3, 20, 200, 2000, 6000][rnd(6)]!;
        for (let i = 0; i < n; i++) {
          if (rnd(10) < 6 || keys.size === 0) {
            const k = `${rnd(30000)}`;
            db.putSync(Buffer.from(k), Buffer.alloc(20 + rnd(60), 7));
            keys.add(k);
          } else {
            const all = [...keys];
            const k = all[rnd(all.length)]!;
            db.removeSync(Buffer.from(k));
            keys.delete(k);
          }
        }
        if (rnd(25) === 0) {
          for (const k of keys) db.removeSync(Buffer.from(k));
          keys.clear();
        }
      });
      const missing = newerMeta(path).lastPg + 1 - statSync(path).size / 4096;
      if (missing > 0) return missing;
    }
  } finally {
    await db.close();
  }
  return 0;
}

t.test('LMDB leaves files shorter than mm_last_pg says: accepted when the missing pages are free', async (t) => {
  const src = join(tempDir(t), 'src');
  let missing = 0;
  for (const seed of [1, 6]) {
    rmSync(src, { force: true });
    rmSync(`${src}-lock`, { force: true });
    if ((missing = await lmdbShortFile(src, seed)) > 0) break;
  }
  if (missing === 0) {
    t.pass('this LMDB left no short file; nothing to show');
    return;
  }
  const { lastPg, txnid } = newerMeta(src);
  t.ok(missing > 0, `LMDB left the file ${missing} pages short of mm_last_pg ${lastPg}`);
  t.same(checkLmdbFile(src), { state: 'ok', pageSize: 4096, lastPage: lastPg, txnId: txnid });
  const v = verifyLmdbFile(src);
  t.equal(v.state, 'ok');
  if (v.state === 'ok') t.ok(v.pages.free >= missing, 'the missing pages are on the free list');
  // (It happens after a transaction that deleted everything — what `once clear` does.)
  const used = copy(t, src);
  const s = new LmdbOnceStore(used, 0o600);
  for (let i = 0; i < 30; i++) await s.claim({ maxPerHour: 0, keepMs: 0, scope: '', key: bytes(`new${i}@x`), repeatMs: 0, now: T0, maxBytes: 0 });
  t.equal((await s.get(bytes('new7@x'), ''))?.count, 1, 'LMDB reads and writes it (no SIGBUS)');
  t.equal(await lmdbCount(used), 30 * 2 + 3, 'every key there');
  t.equal(verifyLmdbFile(used).state, 'ok');

  // Cut further, down through a page in use: refused, naming the size it needs.
  let cutTo = statSync(src).size / 4096;
  for (;;) {
    const db = copy(t, src);
    truncateSync(db, --cutTo * 4096);
    const r = checkLmdbFile(db);
    if (r.state === 'ok') continue;
    damagedReason(t, r, new RegExp(`^truncated: ${cutTo * 4096} bytes, the database needs ${(cutTo + 1) * 4096}$`), `cut to ${cutTo} pages`);
    break;
  }
});

t.test('short of mm_last_pg, missing pages not on the free list, none in use: ok (the tree walk decides)', { skip: !littleEndian && 'little-endian layout' }, async (t) => {
  const db = join(tempDir(t), 'db');
  await makeDb(db, 2000);
  const { base, lastPg } = newerMeta(db);
  poke(db, base + M.lastPg, u64(lastPg + 5)); // five pages LMDB "lost": neither used nor free
  t.same(checkLmdbFile(db), { state: 'ok', pageSize: 4096, lastPage: lastPg + 5, txnId: 1n });
  const v = verifyLmdbFile(db);
  t.equal(v.state, 'ok');
  if (v.state === 'ok') t.equal(v.pages.unaccounted, 5);
  t.equal(await lmdbCount(db), 2000, 'LMDB agrees');
});

t.test('random bytes over the meta pages', async (t) => {
  const src = join(tempDir(t), 'src');
  await makeDb(src, 2000, { txns: 3 });
  const both = copy(t, src);
  poke(both, 0, randomBytes(8192));
  damagedReason(t, checkLmdbFile(both), /^not an LMDB database \(no LMDB signature: another program's file, or both meta pages damaged\)$/);
  const m0 = copy(t, src);
  poke(m0, 0, randomBytes(4096));
  damagedReason(t, checkLmdbFile(m0), /^meta page 0 damaged \(bad magic\)$/);
  const m1 = copy(t, src);
  poke(m1, 4096, randomBytes(4096));
  damagedReason(t, checkLmdbFile(m1), /^meta page 1 damaged \(bad magic\); meta page 0 is intact$/, 'LMDB would follow it blindly: refused');
  // random bytes after an intact magic
  const tail = copy(t, src);
  poke(tail, 4096 + M.version, randomBytes(200));
  damagedReason(t, checkLmdbFile(tail), /^meta page 1 damaged \(/);
});

t.test('single meta fields damaged', { skip: !littleEndian && 'little-endian layout' }, async (t) => {
  const src = join(tempDir(t), 'src');
  await makeDb(src, 2000, { txns: 4 }); // txnid 4: meta 0 is the newer
  const { base, lastPg } = newerMeta(src);
  t.equal(base, 0);
  const cases: [string, number, Buffer, RegExp][] = [
    ['version', M.version, u32(3), /^written by an LMDB with data format 3; this autoreply reads data format 2$/],
    ['byte order', M.magic, Buffer.from([0xbe, 0xef, 0xc0, 0xde]), /^written on a machine with the other byte order$/],
    ['encryption flag', M.envFlags, Buffer.from([0x08, 0x60]), /^an encrypted LMDB database; not ours$/],
    ['page size', M.psize, u32(3000), /^meta page 0 damaged \(page size 3000\)$/],
    ['txnid parity', M.txnid, u64(5), /^meta page 0 damaged \(transaction id 5\)$/],
    ['txnid far ahead', M.txnid, u64(1000), /^meta pages damaged \(transaction ids 1000 and 3\)$/],
    ['txnid garbage', M.txnid, u64(0x1234567890abcdefn), /^meta page 0 damaged \(transaction id/],
    ['root beyond last page', M.mainRoot, u64(lastPg + 1), /^meta page 0 damaged \(bad database record\)$/],
    ['last page garbage', M.lastPg, u64(2n ** 50n), /^meta page 0 damaged \(last page/],
    ['last page beyond the map size', M.lastPg, u64(10_000_000), /^meta page 0 damaged \(map size \d+\)$/],
    ['page flags', 18, Buffer.from([0x02, 0x00]), /^meta page 0 damaged \(bad page header\)$/],
  ];
  for (const [what, off, bytes, re] of cases) {
    const db = copy(t, src);
    poke(db, off, bytes);
    damagedReason(t, checkLmdbFile(db), re, what);
  }
  // the other meta's page size disagrees
  const ps = copy(t, src);
  poke(ps, 4096 + M.psize, u32(8192));
  damagedReason(t, checkLmdbFile(ps), /^meta page(s)? .*damaged/);
  // an LMDB 0.9 file (data format 1, 16-byte page headers): the magic sits at offset 16
  const v1 = copy(t, src);
  poke(v1, 16, Buffer.concat([u32(0xbeefc0de), u32(1), Buffer.alloc(8)]));
  damagedReason(t, checkLmdbFile(v1), /^written by an LMDB with another data format \(16-byte page headers\)/);
});

t.test('damage in later pages: the root page is checked on every open, the rest by verifyLmdbFile', async (t) => {
  const src = join(tempDir(t), 'src');
  await makeDb(src, 2000);
  const { root, lastPg } = newerMeta(src);
  const r = copy(t, src);
  poke(r, root * 4096, randomBytes(4096));
  damagedReason(t, checkLmdbFile(r), new RegExp(`^main database: page ${root} damaged \\(`));
  const z = copy(t, src);
  poke(z, root * 4096, Buffer.alloc(4096));
  damagedReason(t, checkLmdbFile(z), new RegExp(`^main database: page ${root} damaged \\(wrong page number\\)$`));

  const later = root === 10 ? 11 : 10;
  t.ok(later < lastPg);
  for (const [what, bytes] of [
    ['random bytes', randomBytes(4096)],
    ['zeros', Buffer.alloc(4096)],
  ] as const) {
    const db = copy(t, src);
    poke(db, later * 4096, bytes);
    t.equal(checkLmdbFile(db).state, 'ok', `${what} over page ${later}: not seen by the cheap check`);
    const v = verifyLmdbFile(db);
    damagedReason(t, v, new RegExp(`^main database: page ${later} damaged \\(wrong page number\\)$`), `${what}: verify finds it`);
  }
  // a plausible header over garbage nodes
  const nodes = copy(t, src);
  poke(nodes, later * 4096 + 24, randomBytes(4096 - 24));
  const v = verifyLmdbFile(nodes);
  damagedReason(t, v, new RegExp(`^main database: page ${later} damaged \\(`));
  // keys swapped inside a leaf
  const order = copy(t, src);
  const b = readFileSync(order);
  const p = later * 4096;
  const a0 = b.readUInt16LE(p + 24);
  b.writeUInt16LE(b.readUInt16LE(p + 26), p + 24);
  b.writeUInt16LE(a0, p + 26);
  writeFileSync(order, b);
  damagedReason(t, verifyLmdbFile(order), new RegExp(`^main database: page ${later} damaged \\(keys out of order\\)$`));
  const many = verifyLmdbFile(order, { maxProblems: 3 });
  t.ok(many.state === 'damaged' && many.problems.length >= 1 && many.problems.length <= 3, 'problems are capped');
});

t.test('not a regular file, foreign files, a symbolic link, a descriptor of our own', async (t) => {
  const dir = tempDir(t);
  const d = join(dir, 'd');
  mkdirSync(d);
  damagedReason(t, checkLmdbFile(d), /^not a regular file$/);
  const text = join(dir, 'text');
  writeFileSync(text, 'hello, I am a text file\n'.repeat(1000));
  damagedReason(t, checkLmdbFile(text), /^not an LMDB database/);
  const db = join(dir, 'db');
  await makeDb(db, 10);
  const link = join(dir, 'link');
  symlinkSync(db, link);
  t.throws(() => checkLmdbFile(link), { code: 'ELOOP' }, 'system errors are thrown, as Node errors');
  const fd = openSync(db, 'r');
  try {
    t.equal(checkLmdbFile('/nonexistent/ignored', { fd, lockPath: false }).state, 'ok', 'the descriptor is used');
    t.equal(verifyLmdbFile('/nonexistent/ignored', { fd, lockPath: false }).state, 'ok');
    t.ok(fstatSync(fd).isFile(), 'and left open');
  } finally {
    closeSync(fd);
  }
});
