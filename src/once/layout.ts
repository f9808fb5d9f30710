import type { RootDatabase } from 'lmdb';
import { createHash } from '../lazy-crypto.js';
import type { OnceRecord } from './store.js';

/**
 * How the once database lays out its entries in LMDB: a record per key, a time
 * index for eviction and pruning, a few meta entries (format marker, totals, the
 * rate buckets). Values are JSON; keys are bytes.
 */

export const META_FORMAT = Buffer.from('\x00format', 'latin1');
export const META_STATS = Buffer.from('\x00stats', 'latin1');
export const META_RATE = Buffer.from('\x00rate', 'latin1');
export const REC = 0x01;
export const IDX = 0x02;
export const ONE = Buffer.from('1');
export const MAX_RAW_KEY = 1000;
export const FORMAT = { program: 'autoreply', format: 1 };
export const RATE_BUCKET_MS = 10_000;
export const RATE_KEEP_MS = 3_660_000;

export interface Stats {
  entries: number;
  bytes: number;
}

export interface RawRecord {
  t: number;
  c: number;
  n?: string;
  k?: string;
}

export const HOUR_MS = 3600_000;

export function encode(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

export function decode(b: Buffer | Uint8Array): unknown {
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
}

export function readJson(db: RootDatabase, key: Buffer): unknown {
  const v = db.getBinary(key) as Buffer | undefined;
  if (v === undefined) return undefined;
  try {
    return decode(v);
  } catch {
    throw new Error('MDB_CORRUPTED: an entry that is not valid JSON');
  }
}

export function readRecord(db: RootDatabase, key: Buffer): RawRecord | undefined {
  const v = readJson(db, key) as RawRecord | undefined;
  if (v !== undefined && (typeof v !== 'object' || v === null || typeof v.t !== 'number'))
    throw new Error('MDB_CORRUPTED: an entry without a time');
  return v;
}

export function readStats(db: RootDatabase): Stats {
  const s = readJson(db, META_STATS) as Stats | undefined;
  return s ? { entries: s.entries, bytes: s.bytes } : { entries: 0, bytes: 0 };
}

export function fixStats(s: Stats): void {
  if (s.entries < 0) s.entries = 0;
  if (s.bytes < 0) s.bytes = 0;
}

export function toRecord(raw: RawRecord): OnceRecord {
  const r: OnceRecord = { lastReply: raw.t, count: raw.c ?? 1 };
  if (raw.n !== undefined) r.note = raw.n;
  return r;
}

/** The key as bytes: keys are byte strings (one char per byte, see bytes.ts). */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** What an entry costs against once_file_size: its record size in Exim's cache file. */
export function entryCost(key: string): number {
  return keyBytes(key).length + 9;
}

export function idOf(key: string): Buffer {
  const b = keyBytes(key);
  if (b.length <= MAX_RAW_KEY) return Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([1]), createHash('sha256').update(b).digest()]);
}

export function keyFromId(id: Buffer, raw: RawRecord): string {
  if (id[0] === 1) return raw.k ?? '';
  return id.subarray(1).toString('latin1');
}

export function recordKey(id: Buffer): Buffer {
  return Buffer.concat([Buffer.from([REC]), id]);
}

export function indexKey(t: number, id: Buffer): Buffer {
  const b = Buffer.alloc(9 + id.length);
  b[0] = IDX;
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(t))), 1);
  id.copy(b, 9);
  return b;
}

export function removeEntry(db: RootDatabase, id: Buffer, raw: RawRecord, stats: Stats, key: string): void {
  db.removeSync(recordKey(id));
  db.removeSync(indexKey(raw.t, id));
  stats.entries--;
  stats.bytes -= entryCost(key);
  fixStats(stats);
}

/** Drop entries with the oldest last reply until the total is within `maxBytes`. */
export function evictOldest(db: RootDatabase, stats: Stats, maxBytes: number, keep: Buffer | undefined): void {
  while (stats.bytes > maxBytes) {
    const victims: Buffer[] = [];
    for (const { key } of db.getRange({ start: Buffer.from([IDX]), end: Buffer.from([IDX + 1]), limit: 256 })) {
      victims.push(Buffer.from(key as Buffer));
    }
    let progressed = false;
    for (const ik of victims) {
      if (stats.bytes <= maxBytes) break;
      const id = ik.subarray(9);
      if (keep && id.equals(keep)) continue;
      const raw = readRecord(db, recordKey(id));
      db.removeSync(ik);
      progressed = true;
      if (raw) {
        db.removeSync(recordKey(id));
        stats.entries--;
        stats.bytes -= entryCost(keyFromId(id, raw));
      }
    }
    if (!progressed) break; // only the entry we keep is left
  }
  fixStats(stats);
}

/** Replies recorded since `sinceMs`, from the rate buckets (never a scan). */
export function repliesSince(db: RootDatabase, sinceMs: number): number {
  const rate = (readJson(db, META_RATE) ?? {}) as Record<string, number>;
  let n = 0;
  for (const [bucket, count] of Object.entries(rate)) {
    if ((Number(bucket) + 1) * RATE_BUCKET_MS > sinceMs) n += count;
  }
  return n;
}

export function bumpRate(db: RootDatabase, now: number): void {
  const rate = (readJson(db, META_RATE) ?? {}) as Record<string, number>;
  const bucket = Math.floor(now / RATE_BUCKET_MS);
  const oldest = Math.floor((now - RATE_KEEP_MS) / RATE_BUCKET_MS);
  const next: Record<string, number> = {};
  for (const [b, c] of Object.entries(rate)) if (Number(b) >= oldest) next[b] = c;
  next[bucket] = (next[bucket] ?? 0) + 1;
  db.putSync(META_RATE, encode(next));
}

