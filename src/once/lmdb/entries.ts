import type { RootDatabase } from 'lmdb';
import { createHash } from '../../lazy-crypto.js';
import { RATE_WINDOW_MS, type ImportResult, type OnceClaim, type OnceEntry, type OnceRecord, type OnceVerdict } from '../store.js';
import { bytes, type ByteString, fromBuffer, toBuffer } from '../../bytes.js';

/**
 * How the once database lays out its entries in LMDB, and every read and write
 * of them (the caller holds the database open, in a transaction where it writes).
 *
 * One LMDB database, binary keys, JSON values:
 *   0x00 'format'     {"program":"autoreply","format":1}   — our marker
 *   0x00 'stats'      {"entries":N,"bytes":B}              — for once_file_size
 *   0x00 'rate'       {"<10 s bucket>":count,...}           — replies of the last ~61 min
 *   0x01 ID           {"t":ms,"c":count,"n"?:note,"k"?:key} — one entry per key
 *   0x02 T(8, BE) ID  1                                     — index by last reply
 * ID is 0x00 + the key's bytes, or 0x01 + SHA-256 of them for keys over 1000
 * bytes (LMDB keys are limited to ~2 KB); then the full key is kept in "k".
 *
 * once_file_size: each entry is charged what it costs in Exim's own cache file
 * (a time_t of 8 bytes, the key, a NUL: key bytes + 9), so the same figure keeps
 * about as many entries as Exim keeps. Over the cap, the entries with the oldest
 * last reply go first (never the one just recorded).
 */

export const META_FORMAT = toBuffer(bytes('\x00format'));
const META_STATS = toBuffer(bytes('\x00stats'));
const META_RATE = toBuffer(bytes('\x00rate'));
const REC = 0x01;
const IDX = 0x02;
const ONE = Buffer.from('1');
const MAX_RAW_KEY = 1000;
export const FORMAT = { program: 'autoreply', format: 1 };
const RATE_BUCKET_MS = 10_000;
const RATE_KEEP_MS = RATE_WINDOW_MS + 60_000;

interface Stats {
  entries: number;
  bytes: number;
}

interface RawRecord {
  t: number;
  c: number;
  n?: string;
  k?: string;
}

/** The claim of one delivery (SPEC 6): check and, when a reply is due, record it. */
export function claimEntry(db: RootDatabase, claim: OnceClaim): OnceVerdict {
  const id = idOf(claim.key);
  const prevRaw = readRecord(db, recordKey(id));
  const previous = prevRaw ? toRecord(prevRaw) : undefined;
  if (previous && (claim.repeatMs <= 0 || claim.now - previous.lastReply < claim.repeatMs)) return { send: false, previous };
  const repliesLastHour = repliesSince(db, claim.now - RATE_WINDOW_MS);
  if (claim.maxPerHour > 0 && repliesLastHour >= claim.maxPerHour) return { send: false, repliesLastHour };
  const stats = readStats(db);
  const note = claim.note ?? prevRaw?.n;
  writeEntry(db, stats, id, claim.key, { t: claim.now, c: (prevRaw?.c ?? 0) + 1, ...(note !== undefined ? { n: note } : {}) }, prevRaw);
  bumpRate(db, claim.now);
  if (claim.maxBytes > 0 && stats.bytes > claim.maxBytes) removeOldest(db, stats, { maxBytes: claim.maxBytes, keep: id });
  writeStats(db, stats);
  return previous ? { send: true, previous } : { send: true };
}

/**
 * Entries merged in (import): a key already present keeps the later last reply
 * and the larger count.
 */
export function mergeEntries(db: RootDatabase, entries: readonly OnceEntry[], maxBytes: number, result: ImportResult): void {
  const stats = readStats(db);
  for (const e of entries) {
    const id = idOf(e.key);
    const prev = readRecord(db, recordKey(id));
    if (prev && prev.t >= e.lastReply) {
      if (e.count > prev.c) db.putSync(recordKey(id), encode({ ...prev, c: e.count }));
      result.skipped++;
      continue;
    }
    const note = e.note ?? prev?.n;
    writeEntry(db, stats, id, e.key, { t: e.lastReply, c: Math.max(e.count, prev?.c ?? 0, 1), ...(note !== undefined ? { n: note } : {}) }, prev);
    if (prev) result.updated++;
    else result.added++;
  }
  if (maxBytes > 0 && stats.bytes > maxBytes) removeOldest(db, stats, { maxBytes });
  writeStats(db, stats);
}

/** One entry, or undefined. */
export function readEntry(db: RootDatabase, key: ByteString): OnceEntry | undefined {
  const raw = readRecord(db, recordKey(idOf(key)));
  return raw ? { key, ...toRecord(raw) } : undefined;
}

/** Remove one entry; true when it existed. */
export function removeEntry(db: RootDatabase, key: ByteString): boolean {
  const id = idOf(key);
  const raw = readRecord(db, recordKey(id));
  if (!raw) return false;
  const stats = readStats(db);
  db.removeSync(recordKey(id));
  db.removeSync(indexKey(raw.t, id));
  stats.entries--;
  stats.bytes -= entryCost(key);
  writeStats(db, stats);
  return true;
}

/**
 * Remove entries oldest first: those whose last reply is before `before`
 * (prune), or until the total is within `maxBytes` (once_file_size), never the
 * entry `keep`. Returns how many went.
 */
export function removeOldest(db: RootDatabase, stats: Stats, until: { before?: number; maxBytes?: number; keep?: Buffer }): number {
  const end = until.before === undefined ? Buffer.from([IDX + 1]) : indexKey(until.before, Buffer.alloc(0));
  const done = () => until.maxBytes !== undefined && stats.bytes <= until.maxBytes;
  let removed = 0;
  for (;;) {
    const batch: Buffer[] = [];
    for (const { key } of db.getRange({ start: Buffer.from([IDX]), end, limit: 1000 })) batch.push(Buffer.from(key as Buffer));
    let progressed = false;
    for (const ik of batch) {
      if (done()) break;
      const id = ik.subarray(9);
      if (until.keep && id.equals(until.keep)) continue;
      const raw = readRecord(db, recordKey(id));
      db.removeSync(ik);
      progressed = true;
      if (!raw) continue;
      db.removeSync(recordKey(id));
      stats.entries--;
      stats.bytes -= entryCost(keyFromId(id, raw));
      removed++;
    }
    if (!progressed || done()) break;
  }
  fixStats(stats);
  return removed;
}

/** Remove every entry and the rate history; how many entries there were. */
export function removeAll(db: RootDatabase): number {
  let n = 0;
  for (const prefix of [REC, IDX]) {
    for (;;) {
      const batch: Buffer[] = [];
      for (const key of db.getKeys({ start: Buffer.from([prefix]), end: Buffer.from([prefix + 1]), limit: 10000 })) batch.push(Buffer.from(key as Buffer));
      if (batch.length === 0) break;
      for (const k of batch) db.removeSync(k);
      if (prefix === REC) n += batch.length;
    }
  }
  db.removeSync(META_RATE);
  writeStats(db, { entries: 0, bytes: 0 });
  return n;
}

/** Prune with the stats kept right. */
export function pruneBefore(db: RootDatabase, before: number): number {
  const stats = readStats(db);
  const n = removeOldest(db, stats, { before });
  writeStats(db, stats);
  return n;
}

/**
 * Up to `limit` entries in key order (or by last reply), starting after the
 * position `after` returned by the previous page; `next` is undefined at the end.
 */
export function pageOfEntries(db: RootDatabase, order: 'key' | 'time', after: Buffer | undefined, limit: number): { entries: OnceEntry[]; next?: Buffer } {
  const prefix = order === 'key' ? REC : IDX;
  const start = after ? Buffer.concat([after, Buffer.from([0])]) : Buffer.from([prefix]);
  const entries: OnceEntry[] = [];
  let last: Buffer | undefined;
  for (const { key, value } of db.getRange({ start, end: Buffer.from([prefix + 1]), limit })) {
    const k = key as Buffer;
    last = Buffer.from(k);
    const id = order === 'key' ? k.subarray(1) : k.subarray(9);
    const raw = order === 'key' ? decodeRecord(value as Buffer) : readRecord(db, recordKey(id));
    if (raw) entries.push({ key: keyFromId(id, raw), ...toRecord(raw) });
  }
  return entries.length < limit || last === undefined ? { entries } : { entries, next: last };
}

/** Entries and bytes (for `once check`). */
export function entryStats(db: RootDatabase): Stats {
  return readStats(db);
}

/** Whether the database holds anything at all (a database without our marker must be empty to be ours). */
export function isEmpty(db: RootDatabase): boolean {
  for (const _ of db.getKeys({ limit: 1 })) return false;
  return true;
}

export function readJson(db: RootDatabase, key: Buffer): unknown {
  const v = db.getBinary(key) as Buffer | undefined;
  if (v === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8'));
  } catch {
    throw new Error('MDB_CORRUPTED: an entry that is not valid JSON');
  }
}

export function encode(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

// ---- the one write path, and its pieces ------------------------------------------------------

/** Write (or rewrite) one entry, its time index and the stats; `prev` is the entry before, if any. */
function writeEntry(db: RootDatabase, stats: Stats, id: Buffer, key: ByteString, rec: RawRecord, prev: RawRecord | undefined): void {
  if (id[0] === 1) rec.k = key;
  if (prev) db.removeSync(indexKey(prev.t, id));
  else {
    stats.entries++;
    stats.bytes += entryCost(key);
  }
  db.putSync(recordKey(id), encode(rec));
  db.putSync(indexKey(rec.t, id), ONE);
}

function decodeRecord(b: Buffer): RawRecord {
  const v = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as RawRecord;
  if (typeof v !== 'object' || v === null || typeof v.t !== 'number') throw new Error('MDB_CORRUPTED: an entry without a time');
  return v;
}

function readRecord(db: RootDatabase, key: Buffer): RawRecord | undefined {
  const v = readJson(db, key) as RawRecord | undefined;
  if (v !== undefined && (typeof v !== 'object' || v === null || typeof v.t !== 'number')) throw new Error('MDB_CORRUPTED: an entry without a time');
  return v;
}

function readStats(db: RootDatabase): Stats {
  const s = readJson(db, META_STATS) as Stats | undefined;
  return s ? { entries: s.entries, bytes: s.bytes } : { entries: 0, bytes: 0 };
}

function writeStats(db: RootDatabase, stats: Stats): void {
  fixStats(stats);
  db.putSync(META_STATS, encode(stats));
}

function fixStats(s: Stats): void {
  if (s.entries < 0) s.entries = 0;
  if (s.bytes < 0) s.bytes = 0;
}

function toRecord(raw: RawRecord): OnceRecord {
  const r: OnceRecord = { lastReply: raw.t, count: raw.c ?? 1 };
  if (raw.n !== undefined) r.note = raw.n;
  return r;
}

/** What an entry costs against once_file_size: its record size in Exim's cache file. */
export function entryCost(key: ByteString): number {
  return key.length + 9; // one byte per character
}

function idOf(key: ByteString): Buffer {
  const b = toBuffer(key);
  if (b.length <= MAX_RAW_KEY) return Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([1]), createHash('sha256').update(b).digest()]);
}

function keyFromId(id: Buffer, raw: RawRecord): ByteString {
  if (id[0] === 1) return bytes(raw.k ?? ''); // the key as writeEntry stored it
  return fromBuffer(id.subarray(1));
}

function recordKey(id: Buffer): Buffer {
  return Buffer.concat([Buffer.from([REC]), id]);
}

function indexKey(t: number, id: Buffer): Buffer {
  const b = Buffer.alloc(9 + id.length);
  b[0] = IDX;
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(t))), 1);
  id.copy(b, 9);
  return b;
}

/** Replies recorded since `sinceMs`, from the rate buckets (never a scan). */
function repliesSince(db: RootDatabase, sinceMs: number): number {
  const rate = (readJson(db, META_RATE) ?? {}) as Record<string, number>;
  let n = 0;
  for (const [bucket, count] of Object.entries(rate)) {
    if ((Number(bucket) + 1) * RATE_BUCKET_MS > sinceMs) n += count;
  }
  return n;
}

function bumpRate(db: RootDatabase, now: number): void {
  const rate = (readJson(db, META_RATE) ?? {}) as Record<string, number>;
  const bucket = Math.floor(now / RATE_BUCKET_MS);
  const oldest = Math.floor((now - RATE_KEEP_MS) / RATE_BUCKET_MS);
  const next: Record<string, number> = {};
  for (const [b, c] of Object.entries(rate)) if (Number(b) >= oldest) next[b] = c;
  next[bucket] = (next[bucket] ?? 0) + 1;
  db.putSync(META_RATE, encode(next));
}
