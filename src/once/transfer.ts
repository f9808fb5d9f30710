/**
 * Moving once entries in and out: JSON lines (our export format) and Exim's
 * once_file_size "cache file".
 *
 * JSON lines: one object per line,
 *   {"key":"alice@example.org","lastReply":"2025-01-31T12:00:00.000Z","count":2,"note":"Re: hello"}
 * `key` is the key as text (UTF-8); a key whose bytes are not UTF-8 is written as
 * "keyBase64" instead. `note` is text (the subject of the last reply); `scope`,
 * on a shared server, the mailbox whose entry it is. `lastReply` may also be a number of milliseconds since
 * the epoch; `count` defaults to 1; `note` is optional.
 *
 * Exim's cache file (the `once` file when `once_file_size` is set): a sequence of
 * records, each a native `time_t` (8 bytes, little-endian on amd64/arm64; 4 on
 * old 32-bit systems) followed by the `to` string and a NUL byte.
 */
import { type ByteString, fromBuffer, fromText, isUtf8, toBuffer, toText } from '../bytes.js';
import { onceKeyFor } from './key.js';
import type { OnceEntry } from './store.js';

/** A key (byte string) as JSON fields. */
function keyFields(key: ByteString): { key: string } | { keyBase64: string } {
  return isUtf8(key) ? { key: toText(key) } : { keyBase64: toBuffer(key).toString('base64') };
}

export function entryToJson(e: OnceEntry): Record<string, unknown> {
  const o: Record<string, unknown> = { ...keyFields(e.key), lastReply: new Date(e.lastReply).toISOString(), count: e.count };
  if (e.scope) o.scope = e.scope;
  if (e.note !== undefined) o.note = e.note;
  return o;
}

export function parseExportLines(text: string): OnceEntry[] {
  const out: OnceEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`line ${i + 1}: not a JSON object`);
    let key: ByteString;
    if (typeof o.key === 'string') key = fromText(o.key);
    else if (typeof o.keyBase64 === 'string') key = fromBuffer(Buffer.from(o.keyBase64, 'base64'));
    else throw new Error(`line ${i + 1}: no "key"`);
    if (!key) throw new Error(`line ${i + 1}: empty "key"`);
    let t: number;
    if (typeof o.lastReply === 'number') t = o.lastReply;
    else if (typeof o.lastReply === 'string') t = Date.parse(o.lastReply);
    else throw new Error(`line ${i + 1}: no "lastReply"`);
    if (!Number.isFinite(t) || t < 0) throw new Error(`line ${i + 1}: "lastReply" is not a time`);
    const count = o.count === undefined ? 1 : Number(o.count);
    if (!Number.isInteger(count) || count < 1) throw new Error(`line ${i + 1}: "count" must be a positive integer`);
    const e: OnceEntry = { key, lastReply: Math.floor(t), count };
    if (typeof o.note === 'string') e.note = o.note;
    if (typeof o.scope === 'string') e.scope = o.scope.toLowerCase();
    out.push(e);
  }
  return out;
}

export interface EximCacheOptions {
  timeSize: 4 | 8;
  bigEndian: boolean;
  /** Keep the `to` strings verbatim (the --exim-strict key); otherwise normalise like SPEC 6. */
  rawKeys: boolean;
}

/** Parse Exim's cache file. A trailing partial record is ignored. */
export function parseEximCacheFile(data: Buffer, opts: EximCacheOptions): OnceEntry[] {
  const out: OnceEntry[] = [];
  let p = 0;
  while (p + opts.timeSize < data.length) {
    const t =
      opts.timeSize === 8
        ? Number(opts.bigEndian ? data.readBigInt64BE(p) : data.readBigInt64LE(p))
        : opts.bigEndian
          ? data.readInt32BE(p)
          : data.readInt32LE(p);
    const s = p + opts.timeSize;
    const nul = data.indexOf(0, s);
    if (nul < 0) break; // partial record at the end
    const to = fromBuffer(data.subarray(s, nul));
    p = nul + 1;
    if (!to || t <= 0 || t > 32503680000) continue; // empty or nonsense record
    const key = onceKeyFor(to, { exact: opts.rawKeys });
    if (!key) continue;
    out.push({ key, lastReply: t * 1000, count: 1 });
  }
  if (out.length === 0 && data.length > 0) throw new Error('no records found; is this an Exim once cache file (once_file_size)?');
  return out;
}
