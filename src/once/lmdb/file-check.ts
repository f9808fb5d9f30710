/**
 * Checks an LMDB data file before LMDB maps it, and the "initialised" marker
 * that tells a new empty data file from one truncated to nothing.
 *
 * Why this exists. LMDB reads its data file through a memory map: a page that
 * lies beyond the end of a truncated file kills the process with SIGBUS, and a
 * meta page full of garbage makes it follow wild page numbers (SIGSEGV). Worse,
 * in the lmdb-js we bundle (3.5.x) *any* failure of mdb_env_open() — even a
 * clean MDB_INVALID for a 100-byte file or MDB_VERSION_MISMATCH — crashes the
 * process: EnvWrap::openEnv() deletes its ExtendedEnv and then closeEnv()
 * deletes it again (a double free, SIGSEGV). So nothing that would make LMDB
 * refuse the file may reach open(): this module reads the file with plain,
 * bounds-checked pread()s and says whether it is safe to open, in words a mail
 * administrator understands. It never writes the data file.
 *
 * What checkLmdbFile() checks (cheap: fstat, the two meta pages, the two root
 * pages), against the on-disk format of the LMDB that lmdb-js bundles
 * (mdb.master3, MDB_DATA_VERSION 2, 24-byte page headers, 64-bit page numbers;
 * see node_modules/lmdb/dependencies/lmdb/libraries/liblmdb/mdb.c):
 *   - size 0: `empty` (a crash between our creating the file and LMDB's first
 *     commit) unless the marker says a database was once committed there:
 *     then it is damage (see "The initialised marker" below);
 *   - smaller than two pages: truncated;
 *   - both meta pages: P_META page flags and page number, MDB_MAGIC, data
 *     version 2 (LMDB refuses anything else, and so crashes lmdb-js), the same
 *     plausible page size (a power of two, 256..65536), not encrypted, sane
 *     free/main database records (root page within mm_last_pg, depth), and
 *     transaction ids that fit "transaction N writes meta page N % 2" — the
 *     two metas hold consecutive ids (or both 0 in a new file); the newer
 *     meta's mm_mapsize covers (mm_last_pg + 1) pages, as LMDB keeps it.
 *     LMDB validates only meta page 0 and then takes, without any check, the
 *     meta with the larger txnid; there is no fallback to the other one (only
 *     with MDB_PREVSNAPSHOT, which we do not use). A damaged meta page 1 is
 *     therefore followed blindly when its garbage txnid is larger, so a damaged
 *     meta page is refused even when the other one is intact;
 *   - the file covers what the newer meta says: LMDB maps
 *     (mm_last_pg + 1) * page size (a trailing partial page counts as
 *     missing). A shorter file is *not* always damage: pages that a transaction
 *     allocated at the end and freed again ("loose" pages) go on the free list
 *     without ever being written, so a healthy file can end up more than a
 *     hundred pages short of mm_last_pg (measured: 116; it happens after a
 *     transaction that deletes everything, as `once clear` does). A short file
 *     is accepted when every missing page is on the free list (that costs
 *     reading the free list, usually a page or two); otherwise the whole tree is
 *     walked (about 1 s for 60 MB; never needed in our tests) and the file is
 *     refused only if a page in use lies beyond its end — that page is the
 *     SIGBUS;
 *   - the root pages of the free list and of the main database: right page
 *     number, right type, plausible node offsets.
 *
 * What it cannot see without reading everything: damage inside the other
 * B-tree pages. LMDB then fails with MDB_CORRUPTED / MDB_PAGE_NOTFOUND, aborts
 * on an assertion (SIGABRT), crashes, or silently misses entries, depending on
 * what the garbage looks like. verifyLmdbFile() walks every page (for
 * `autoreply once check`; about 1.3 s for a 60 MB, 300,000-entry file) — plain
 * reads, bounds-checked, never a map.
 *
 * The initialised marker (the crash-safe "empty" rule). A 0-byte data file is
 * either new — our code creates it, then LMDB initialises it in the same
 * locked session, and a crash in between leaves 0 bytes — or a database that
 * was truncated to nothing, which must not be silently re-initialised (the
 * senders would be answered again). The difference is remembered in PATH.lock,
 * the file every session flock()s and nobody deletes while mail flows: after
 * LMDB's first successful (synchronous) commit the caller writes a short line
 * into it; a 0-byte data file is new only while the lock file is empty. The
 * order makes it crash-safe: the marker is written (and fsynced) only after
 * LMDB has fsynced the data, and cleared (and fsynced) before a new data file
 * is created. What the caller does, holding the exclusive flock on PATH.lock:
 *   1. r = checkLmdbFile(path)          (reads the marker itself when size is 0)
 *   2. 'damaged'  → refuse (exit 75) with r.reason; never open(), never create.
 *      'absent'   → reading: nothing there. Writing: clearInitMarker(lockPath),
 *                   then create the data file, open, commit.
 *      'empty'    → reading: nothing there. Writing: open, commit.
 *      'ok'       → open.
 *   3. after a successful write transaction: ensureInitMarker(lockPath)
 *      (one small read; writes only the first time; best effort — an error
 *      there must not fail the delivery).
 * Databases made before this scheme get their marker at their next write.
 *
 * Errors: a damaged or foreign file is a state, never an exception. System
 * errors while reading (EACCES, EIO, ELOOP for a symbolic link, ...) are thrown
 * as the usual Node errors (err.code); ENOENT on the data file is `absent`.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { fromBuffer } from '../../bytes.js';

export type LmdbFileState =
  | { state: 'absent' }
  | { state: 'empty' }
  | { state: 'ok'; pageSize: number; lastPage: number; txnId: bigint }
  | { state: 'damaged'; reason: string };

export interface LmdbFileCheckOptions {
  /** An open descriptor of the data file to use instead of opening `path` (not closed). */
  fd?: number;
  /** Where the initialised marker lives; default `${path}.lock`; false: do not look (a 0-byte file is then `empty`). */
  lockPath?: string | false;
}

export type LmdbVerifyResult =
  | { state: 'absent' }
  | { state: 'empty' }
  | {
      state: 'ok';
      pageSize: number;
      lastPage: number;
      txnId: bigint;
      fileSize: number;
      entries: number;
      /** Pages in use by the trees, on the free list, and neither (LMDB's free-list bookkeeping can lose a few). */
      pages: { branch: number; leaf: number; overflow: number; free: number; unaccounted: number };
    }
  | { state: 'damaged'; reason: string; problems: string[] };

/** The line written into PATH.lock once the database has been committed. */
export const INIT_MARKER = 'autoreply: once database initialised; do not delete this file while the database exists\n';

// ---- the on-disk format (mdb.c) -------------------------------------------------------------

const PAGEHDRSZ = 24; // pgno u64, txnid u64, pad u16, flags u16, lower u16 + upper u16 | pages u32
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const NODESIZE = 8; // lo u16, hi u16, flags u16, ksize u16
const DB_SIZE = 48; // MDB_db
const OVPAGE_SIZE = 24; // MDB_ovpage: pgno, txnid, pages
const META_SIZE = 144; // MDB_meta on 64-bit platforms
const MDB_MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const MDB_INTEGERKEY = 0x08;
const MDB_ENCRYPT = 0x2000;
const DB_FLAGS = 0x17e; // VALID_FLAGS that are stored (REVERSEKEY..REVERSEDUP, 0x100)
const MAX_DEPTH = 32; // CURSOR_STACK
const P_INVALID = 0xffffffffffffffffn;
const NUM_METAS = 2;
const MAX_PAGE = 2 ** 40; // far beyond any real file; keeps page arithmetic exact in doubles
const MAX_TXNID = 2n ** 48n;

// LMDB writes in host byte order.
const LE = endianness() === 'LE';
const u16 = (b: Buffer, o: number) => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));
const u32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
const u64 = (b: Buffer, o: number) => (LE ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
const i64 = (b: Buffer, o: number) => (LE ? b.readBigInt64LE(o) : b.readBigInt64BE(o));

interface DbRecord {
  flags: number;
  depth: number;
  branch: bigint;
  leaf: bigint;
  overflow: bigint;
  entries: bigint;
  root: bigint;
}

interface Meta {
  slot: number;
  psize: number;
  envFlags: number;
  mapSize: bigint;
  free: DbRecord;
  main: DbRecord;
  lastPg: bigint;
  txnId: bigint;
}

function readDb(b: Buffer, o: number): DbRecord {
  return {
    flags: u16(b, o + 4),
    depth: u16(b, o + 6),
    branch: u64(b, o + 8),
    leaf: u64(b, o + 16),
    overflow: u64(b, o + 24),
    entries: u64(b, o + 32),
    root: u64(b, o + 40),
  };
}

/** Parse and validate meta page `slot` (`b` holds at least PAGEHDRSZ + META_SIZE bytes of it). */
function parseMeta(b: Buffer, slot: number): Meta | string {
  const m = PAGEHDRSZ;
  const magic = u32(b, m);
  if (magic !== MDB_MAGIC) return 'bad magic';
  if (u64(b, 0) !== BigInt(slot) || u16(b, 18) !== P_META) return 'bad page header';
  const version = u32(b, m + 4) & 0xffff;
  if (version !== DATA_VERSION) return `data format ${version}`;
  const meta: Meta = {
    slot,
    psize: u32(b, m + 24),
    envFlags: u16(b, m + 28),
    mapSize: u64(b, m + 16),
    free: readDb(b, m + 24),
    main: readDb(b, m + 72),
    lastPg: u64(b, m + 120),
    txnId: u64(b, m + 128),
  };
  const ps = meta.psize;
  if (ps < 256 || ps > 65536 || (ps & (ps - 1)) !== 0) return `page size ${ps}`;
  if (meta.envFlags & MDB_ENCRYPT) return 'encrypted';
  if (meta.lastPg < 1n || meta.lastPg >= BigInt(MAX_PAGE)) return `last page ${meta.lastPg}`;
  if (meta.txnId >= MAX_TXNID || (meta.txnId !== 0n && meta.txnId % 2n !== BigInt(slot))) return `transaction id ${meta.txnId}`;
  if (!(meta.free.flags & MDB_INTEGERKEY) || meta.main.flags & ~DB_FLAGS) return 'bad database flags';
  for (const db of [meta.free, meta.main]) {
    if (db.root === P_INVALID) {
      if (db.depth !== 0) return 'bad database record';
    } else if (db.root < BigInt(NUM_METAS) || db.root > meta.lastPg || db.depth < 1 || db.depth > MAX_DEPTH) {
      return 'bad database record';
    }
  }
  return meta;
}

// ---- reading ----------------------------------------------------------------------------------

function readAt(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

function withFile<T>(path: string, fdIn: number | undefined, fn: (fd: number) => T): T | { state: 'absent' } {
  if (fdIn !== undefined) return fn(fdIn);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the delivery; no effect on files.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw e;
  }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

const damaged = (reason: string) => ({ state: 'damaged' as const, reason });

/** The result of the meta-level checks: the newer meta, or why the file cannot be opened. */
type Header = { meta: Meta; size: number } | { state: 'empty' } | { state: 'damaged'; reason: string };

function readHeader(fd: number, lockPath: string | false): Header {
  const st = fstatSync(fd);
  if (!st.isFile()) return damaged('not a regular file');
  const size = st.size;
  if (size === 0) {
    if (lockPath !== false && readInitMarker(lockPath)) {
      return damaged('empty (0 bytes) although a database was committed to it: truncated');
    }
    return { state: 'empty' };
  }
  const head = readAt(fd, PAGEHDRSZ + META_SIZE, 0);
  const m0 = head.length === PAGEHDRSZ + META_SIZE ? parseMeta(head, 0) : 'truncated';
  if (typeof m0 === 'string') {
    const magic16 = head.length >= 20 ? u32(head, 16) : 0;
    const magic24 = head.length >= 28 ? u32(head, 24) : 0;
    if (magic24 !== MDB_MAGIC) {
      if (magic16 === MDB_MAGIC) return damaged('written by an LMDB with another data format (16-byte page headers); this autoreply cannot read it');
      if (magic24 === 0xdec0efbe || magic16 === 0xdec0efbe) return damaged('written on a machine with the other byte order');
      // Meta page 0 has no signature: damage if meta page 1 (wherever the page size puts it) still has one.
      for (let ps = 256; ps <= 65536 && ps + 28 <= size; ps *= 2) {
        const other = readAt(fd, 28, ps);
        if (other.length === 28 && u32(other, 24) === MDB_MAGIC && u64(other, 0) === 1n && u16(other, 18) === P_META) {
          return damaged('meta page 0 damaged (bad magic)');
        }
      }
      if (size < 2 * 256) return damaged(`truncated, or not an LMDB database: ${size} bytes, no LMDB signature`);
      return damaged('not an LMDB database (no LMDB signature: another program\'s file, or both meta pages damaged)');
    }
    if (m0 === 'truncated') {
      const ps = head.length >= 52 ? u32(head, 48) : 0;
      const need = ps >= 256 && ps <= 65536 && (ps & (ps - 1)) === 0 ? 2 * ps : 8192;
      return damaged(`truncated: ${size} bytes, less than its two header pages (${need})`);
    }
    if (m0.startsWith('data format')) return damaged(`written by an LMDB with ${m0}; this autoreply reads data format ${DATA_VERSION}`);
    if (m0 === 'encrypted') return damaged('an encrypted LMDB database; not ours');
    return damaged(`meta page 0 damaged (${m0})`);
  }
  const ps = m0.psize;
  if (size < 2 * ps) return damaged(`truncated: ${size} bytes, less than its two header pages (${2 * ps})`);
  const m1 = parseMeta(readAt(fd, PAGEHDRSZ + META_SIZE, ps), 1);
  if (typeof m1 === 'string') return damaged(`meta page 1 damaged (${m1}); meta page 0 is intact`);
  if (m1.psize !== ps) return damaged(`meta pages damaged (page sizes ${ps} and ${m1.psize})`);
  const t0 = m0.txnId;
  const t1 = m1.txnId;
  if (!(t0 === 0n && t1 === 0n) && t0 - t1 !== 1n && t1 - t0 !== 1n) {
    return damaged(`meta pages damaged (transaction ids ${t0} and ${t1})`);
  }
  const meta = t0 >= t1 ? m0 : m1; // what LMDB takes (mdb_pick_meta)
  if (meta.mapSize < (meta.lastPg + 1n) * BigInt(ps)) return damaged(`meta page ${meta.slot} damaged (map size ${meta.mapSize})`);
  return { meta, size };
}

// ---- walking the trees ------------------------------------------------------------------------

interface Walk {
  fd: number;
  psize: number;
  lastPg: number;
  filePages: number;
  /** Pages in use, below filePages (one bit each). */
  used: Uint8Array;
  /** Largest page in use at or beyond the end of the file, or -1. */
  beyondEof: number;
  problems: string[];
  maxProblems: number;
  counts: { branch: number; leaf: number; overflow: number; entries: number };
  /** Free-list ranges [first, count]. */
  free: [number, number][];
  /** Also check key order (verifyLmdbFile). */
  deep: boolean;
  /** One page, reused. */
  page: Buffer;
}

function newWalk(fd: number, meta: Meta, size: number, maxProblems: number, deep: boolean): Walk {
  const filePages = Math.floor(size / meta.psize);
  return {
    fd,
    psize: meta.psize,
    lastPg: Number(meta.lastPg),
    filePages,
    used: new Uint8Array((filePages >> 3) + 1),
    beyondEof: -1,
    problems: [],
    maxProblems,
    counts: { branch: 0, leaf: 0, overflow: 0, entries: 0 },
    free: [],
    deep,
    page: Buffer.alloc(meta.psize),
  };
}

const full = (w: Walk) => w.problems.length >= w.maxProblems;

/** Claim pages [pgno, pgno + n) for a tree; false when they cannot be read. */
function claim(w: Walk, pgno: number, n: number, what: string): boolean {
  if (pgno < NUM_METAS || pgno + n - 1 > w.lastPg) {
    w.problems.push(`${what}: page reference out of range (page ${pgno}, last page ${w.lastPg})`);
    return false;
  }
  for (let p = pgno; p < pgno + n; p++) {
    if (p >= w.filePages) {
      w.beyondEof = Math.max(w.beyondEof, pgno + n - 1);
      return false;
    }
    if (w.used[p >> 3]! & (1 << (p & 7))) {
      w.problems.push(`${what}: page ${p} is used twice`);
      return false;
    }
    w.used[p >> 3]! |= 1 << (p & 7);
  }
  return true;
}

function compareKeys(a: Buffer, b: Buffer, integer: boolean): number {
  if (integer && a.length === 8 && b.length === 8) {
    const x = u64(a, 0);
    const y = u64(b, 0);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(a, b);
}

/**
 * Walk the tree of `db`, checking every page's header, type, depth and node
 * offsets, key order within each page, overflow pages and the page counts in
 * `db`. `onData` receives each value (the free list's page lists).
 */
function walkTree(w: Walk, db: DbRecord, what: string, onData?: (data: Buffer) => void): void {
  if (db.root === P_INVALID) return;
  const integer = (db.flags & MDB_INTEGERKEY) !== 0;
  const ordered = w.deep && (db.flags & 0x42) === 0; // no REVERSEKEY / REVERSEDUP comparators
  const found = { branch: 0, leaf: 0, overflow: 0, entries: 0 };
  const problemsBefore = w.problems.length;
  const stack: [number, number][] = [[Number(db.root), db.depth]];
  const subTrees: [DbRecord, string][] = [];
  const ps = w.psize;
  while (stack.length > 0 && !full(w)) {
    const [pgno, depth] = stack.pop()!;
    if (!claim(w, pgno, 1, what)) continue;
    const p = w.page;
    const bad = (why: string) => w.problems.push(`${what}: page ${pgno} damaged (${why})`);
    if (readSync(w.fd, p, 0, ps, pgno * ps) < ps) {
      bad('short read');
      continue;
    }
    const flags = u16(p, 18);
    if (Number(u64(p, 0)) !== pgno) {
      bad('wrong page number');
      continue;
    }
    const want = depth > 1 ? P_BRANCH : P_LEAF;
    if ((flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)) !== want) {
      bad(depth > 1 ? 'not a branch page' : 'not a leaf page');
      continue;
    }
    const lower = u16(p, 20);
    const upper = u16(p, 22);
    const n = lower >> 1;
    if (lower & 1 || lower > upper || upper > ps - PAGEHDRSZ || n === 0) {
      bad('bad free-space bounds');
      continue;
    }
    if (want === P_BRANCH) found.branch++;
    else found.leaf++;
    if (flags & P_LEAF2) {
      // MDB_DUPFIXED: keys of mp_pad bytes, no nodes
      if (PAGEHDRSZ + n * u16(p, 16) > ps) bad('bad fixed-size keys');
      found.entries += n;
      continue;
    }
    let prev: Buffer | undefined;
    for (let i = 0; i < n; i++) {
      const off = u16(p, PAGEHDRSZ + 2 * i) + PAGEHDRSZ;
      if (off < PAGEHDRSZ + upper || off + NODESIZE > ps) {
        bad('bad node offset');
        break;
      }
      const lo = u16(p, off);
      const hi = u16(p, off + 2);
      const nflags = u16(p, off + 4);
      const ksize = u16(p, off + 6);
      const kend = off + NODESIZE + ksize;
      if (kend > ps) {
        bad('bad key size');
        break;
      }
      const key = p.subarray(off + NODESIZE, kend);
      if (ordered && (want === P_LEAF || i > 0)) {
        if (prev && compareKeys(prev, key, integer) >= 0) {
          bad('keys out of order');
          break;
        }
        prev = key;
      }
      if (want === P_BRANCH) {
        const child = lo + hi * 0x10000 + nflags * 0x100000000;
        stack.push([child, depth - 1]);
        continue;
      }
      found.entries++;
      const dsize = lo + hi * 0x10000;
      if (nflags & F_BIGDATA) {
        if (kend + OVPAGE_SIZE > ps) {
          bad('bad node size');
          break;
        }
        const opg = Number(u64(p, kend));
        const opages = Number(u64(p, kend + 16));
        // at least OVPAGES(dsize); more when a smaller value overwrote a larger one in place
        if (opages < Math.floor((PAGEHDRSZ - 1 + dsize) / ps) + 1) {
          bad('bad overflow page count');
          break;
        }
        if (!claim(w, opg, opages, what)) continue;
        found.overflow += opages;
        const head = readAt(w.fd, onData ? opages * ps : PAGEHDRSZ, opg * ps);
        if (head.length < PAGEHDRSZ || Number(u64(head, 0)) !== opg || !(u16(head, 18) & P_OVERFLOW) || u32(head, 20) !== opages) {
          w.problems.push(`${what}: page ${opg} damaged (bad overflow page)`);
          continue;
        }
        if (onData) onData(head.subarray(PAGEHDRSZ, PAGEHDRSZ + dsize));
        continue;
      }
      const dend = kend + ((nflags & F_SUBDATA) !== 0 ? DB_SIZE : dsize);
      if (dend > ps || ((nflags & F_SUBDATA) !== 0 && dsize !== DB_SIZE)) {
        bad('bad data size');
        break;
      }
      if (nflags & F_SUBDATA) {
        // a named database, or the sub-tree of a key's duplicates
        const sub = readDb(p, kend);
        const name = nflags & F_DUPDATA ? `${what}, duplicates` : `database "${fromBuffer(key)}"`;
        if ((sub.root === P_INVALID) !== (sub.depth === 0) || sub.depth > MAX_DEPTH) bad('bad sub-database record');
        else subTrees.push([sub, name]);
      } else if (onData && !(nflags & F_DUPDATA)) {
        onData(p.subarray(kend, dend));
      }
    }
  }
  // after this tree (the page buffer is shared)
  for (const [sub, name] of subTrees) if (!full(w)) walkTree(w, sub, name);
  w.counts.branch += found.branch;
  w.counts.leaf += found.leaf;
  w.counts.overflow += found.overflow;
  w.counts.entries += found.entries;
  if (w.problems.length > problemsBefore || w.beyondEof >= 0) return; // the counts would only repeat that
  // The header's counts must match what was found (as LMDB keeps them).
  if (BigInt(found.branch) !== db.branch || BigInt(found.leaf) !== db.leaf || BigInt(found.overflow) !== db.overflow) {
    w.problems.push(
      `${what}: page counts differ from its header (found ${found.branch}/${found.leaf}/${found.overflow} branch/leaf/overflow, header says ${db.branch}/${db.leaf}/${db.overflow})`,
    );
  }
  if (!(db.flags & 0x04) && BigInt(found.entries) !== db.entries) {
    w.problems.push(`${what}: ${found.entries} entries, its header says ${db.entries}`);
  }
}

/** Decode one free-list record (an ID list in lmdb-js's format: count, then page numbers or -length, first). */
function freeRanges(w: Walk, data: Buffer): void {
  const words = Math.floor(data.length / 8);
  if (words === 0) return;
  const n = Math.min(Number(u64(data, 0)), words - 1);
  for (let i = 1; i <= n; i++) {
    let e = i64(data, i * 8);
    let count = 1n;
    if (e <= 0n) {
      if (e === 0n) continue;
      count = -e;
      if (++i >= words) break;
      e = i64(data, i * 8);
    }
    if (e < BigInt(NUM_METAS) || e + count - 1n > BigInt(w.lastPg)) {
      w.problems.push(`free list damaged (pages ${e}..${e + count - 1n} out of range)`);
      return;
    }
    w.free.push([Number(e), Number(count)]);
  }
}

/** Whether every page in [from, to] is in one of the free ranges. */
function coveredByFree(free: [number, number][], from: number, to: number): boolean {
  const ranges = [...free].sort((a, b) => a[0] - b[0]);
  let next = from;
  for (const [first, count] of ranges) {
    if (first > next) break;
    next = Math.max(next, first + count);
    if (next > to) return true;
  }
  return next > to;
}

function truncatedReason(size: number, w: Walk): string {
  return `truncated: ${size} bytes, the database needs ${(w.beyondEof + 1) * w.psize}`;
}

// ---- the checks -------------------------------------------------------------------------------

/**
 * Everything that can be checked before LMDB maps `path`, cheaply enough for
 * every delivery (see the comment at the top). `absent`: no data file;
 * `empty`: 0 bytes and no initialised marker (LMDB will initialise it);
 * `ok`: LMDB can open it; `damaged`: do not open it, say `reason`.
 */
export function checkLmdbFile(path: string, options: LmdbFileCheckOptions = {}): LmdbFileState {
  const lockPath = options.lockPath ?? `${path}.lock`;
  return withFile(path, options.fd, (fd): LmdbFileState => {
    const h = readHeader(fd, lockPath);
    if (!('meta' in h)) return h;
    const { meta, size } = h;
    const ps = meta.psize;
    const ok = { state: 'ok' as const, pageSize: ps, lastPage: Number(meta.lastPg), txnId: meta.txnId };
    const filePages = Math.floor(size / ps);
    for (const [db, what] of [
      [meta.free, 'free list'],
      [meta.main, 'main database'],
    ] as const) {
      if (db.root === P_INVALID) continue;
      const root = Number(db.root);
      if (root >= filePages) return damaged(`truncated: ${size} bytes, the database needs ${(root + 1) * ps}`);
      const problem = rootPageProblem(readAt(fd, ps, root * ps), root, db.depth, ps);
      if (problem) return damaged(`${what}: page ${root} damaged (${problem})`);
    }
    if (filePages > ok.lastPage) return ok;
    // Short of mm_last_pg: fine if every missing page is free (never written), else walk.
    const w = newWalk(fd, meta, size, 1, false);
    walkTree(w, meta.free, 'free list', (d) => freeRanges(w, d));
    if (w.beyondEof >= 0) return damaged(truncatedReason(size, w));
    if (w.problems.length > 0) return damaged(w.problems[0]!);
    if (coveredByFree(w.free, w.filePages, w.lastPg)) return ok;
    walkTree(w, meta.main, 'main database');
    if (w.beyondEof >= 0) return damaged(truncatedReason(size, w));
    if (w.problems.length > 0) return damaged(w.problems[0]!);
    return ok;
  });
}

function rootPageProblem(p: Buffer, pgno: number, depth: number, ps: number): string | undefined {
  if (p.length < ps) return 'short read';
  if (Number(u64(p, 0)) !== pgno) return 'wrong page number';
  const want = depth > 1 ? P_BRANCH : P_LEAF;
  if ((u16(p, 18) & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)) !== want) return depth > 1 ? 'not a branch page' : 'not a leaf page';
  const lower = u16(p, 20);
  const upper = u16(p, 22);
  if (lower & 1 || lower > upper || upper > ps - PAGEHDRSZ || lower === 0) return 'bad free-space bounds';
  if (u16(p, 18) & P_LEAF2) return undefined;
  for (let i = 0; i < lower >> 1; i++) {
    const off = u16(p, PAGEHDRSZ + 2 * i) + PAGEHDRSZ;
    if (off < PAGEHDRSZ + upper || off + NODESIZE > ps || off + NODESIZE + u16(p, off + 6) > ps) return 'bad node offset';
  }
  return undefined;
}

/**
 * The deep check for `autoreply once check`: the meta-level checks, then every
 * page of the free list and of the database (and of named sub-databases),
 * read with plain bounds-checked reads — never mapped, so it cannot crash on
 * the damage it looks for. Reports up to `maxProblems` problems (default 20).
 * Costs a read of the whole file.
 */
export function verifyLmdbFile(path: string, options: LmdbFileCheckOptions & { maxProblems?: number } = {}): LmdbVerifyResult {
  const lockPath = options.lockPath ?? `${path}.lock`;
  return withFile(path, options.fd, (fd): LmdbVerifyResult => {
    const h = readHeader(fd, lockPath);
    if (!('meta' in h)) return h.state === 'damaged' ? { ...h, problems: [h.reason] } : h;
    const { meta, size } = h;
    const w = newWalk(fd, meta, size, options.maxProblems ?? 20, true);
    walkTree(w, meta.free, 'free list', (d) => freeRanges(w, d));
    const freeEntries = w.counts.entries;
    walkTree(w, meta.main, 'main database');
    if (w.beyondEof >= 0) w.problems.unshift(truncatedReason(size, w));
    // Free pages must not be in use. (Pages neither in use nor free are counted, not
    // refused: LMDB's free-list bookkeeping admits it can lose some.)
    let free = 0;
    const limit = Math.min(w.lastPg, w.filePages - 1);
    for (const [first, count] of w.free) {
      for (let p = first; p < first + count && p <= limit && !full(w); p++) {
        if (w.used[p >> 3]! & (1 << (p & 7))) w.problems.push(`free list damaged (page ${p} is listed as free but in use)`);
      }
      free += count;
    }
    if (w.problems.length > 0) return { state: 'damaged', reason: w.problems[0]!, problems: w.problems.slice(0, w.maxProblems) };
    const used = w.counts.branch + w.counts.leaf + w.counts.overflow;
    return {
      state: 'ok',
      pageSize: meta.psize,
      lastPage: w.lastPg,
      txnId: meta.txnId,
      fileSize: size,
      entries: w.counts.entries - freeEntries,
      pages: {
        branch: w.counts.branch,
        leaf: w.counts.leaf,
        overflow: w.counts.overflow,
        free,
        unaccounted: Math.max(0, w.lastPg + 1 - NUM_METAS - used - free),
      },
    };
  });
}

// ---- the initialised marker in PATH.lock --------------------------------------------------------

/** Whether PATH.lock carries the initialised marker (any content counts: a torn write still means "was committed"). */
export function readInitMarker(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  try {
    return readAt(fd, 1, 0).length > 0;
  } finally {
    closeSync(fd);
  }
}

/** Write the marker into PATH.lock (which must exist: the caller holds its flock) and make it durable. */
export function writeInitMarker(lockPath: string): void {
  const fd = openSync(lockPath, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    const text = Buffer.from(INIT_MARKER);
    writeSync(fd, text, 0, text.length, 0);
    ftruncateSync(fd, text.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dirname(lockPath));
}

/** Empty PATH.lock again, durably: before a new data file is created where none is. */
export function clearInitMarker(lockPath: string): void {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    ftruncateSync(fd, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** After a successful write transaction: write the marker unless it is there. Returns whether it wrote. */
export function ensureInitMarker(lockPath: string): boolean {
  if (readInitMarker(lockPath)) return false;
  writeInitMarker(lockPath);
  return true;
}

/** The lock file's directory entry must survive a crash too (it usually already has). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not every platform can fsync a directory; the marker itself is synced */
  }
}
