/**
 * The once database in Redis (SPEC 6, "Shared servers"): every host that
 * delivers for the same users shares one record. Layout and scripts: see
 * scripts.ts. A delivery costs one connection and one round trip after the
 * handshake: the claim script (EVAL the first time on a connection, EVALSHA
 * after). Entries expire `keepMs` after the reply (once_repeat, or
 * --once-max-age when that is 0), so Redis needs no prune. Each mailbox (the
 * claim's scope) has its own entries and rate history under the prefix.
 *
 * The client fails fast: no reconnection, no offline queue, every command and
 * the connection bounded by `timeoutMs`; every failure is exit 75 in one line
 * naming the server. `ioredis` is loaded here only, when a Redis URL is used.
 *
 * Not supported: Redis Cluster (an entry and the rate history live in
 * different slots), Sentinel.
 */
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { readFileSync } from 'node:fs';
import { configError, tempError, AutoreplyError } from '../../errors.js';
import type { CheckReport, ImportOptions, ImportResult, OnceClaim, OnceEntry, OnceRecord, OnceStore, OnceVerdict, ServerStoreOptions } from '../store.js';
import { CheckReporter } from '../check-report.js';
import { RATE_WINDOW_MS } from '../store.js';
import { checkScope, type RedisTarget } from '../url.js';
import { describeRedisError } from './errors.js';
import { CLAIM_LUA, MERGE_LUA, PRUNE_LUA } from './scripts.js';
import { bytes, type ByteString, fromBuffer, toBuffer } from '../../bytes.js';

const GRACE_MS = 500;
const SCAN_COUNT = 1000;
const BATCH = 500;

/** Ends the scope in an entry's name (PREFIX SCOPE NUL KEY); a scope has none (checkScope). */
const SCOPE_END = 0x00;
/** After the scope, the name of its rate history (PREFIX SCOPE \x01rate): no NUL, so never an entry's. */
const RATE_SUFFIX = toBuffer(bytes('\x01rate'));

/** What a name under the prefix is (see scripts.ts): an entry, a mailbox's rate history, or none of ours. */
type Name = { kind: 'entry'; scope: string; key: ByteString } | { kind: 'rate'; scope: string } | { kind: 'other' };

interface Scripts {
  onceClaim(entry: Buffer, rate: Buffer, ...args: (string | number)[]): Promise<(string | null)[]>;
  onceMerge(numKeys: number, ...args: (string | Buffer | number)[]): Promise<number[]>;
  oncePrune(numKeys: number, ...args: (string | Buffer | number)[]): Promise<number>;
}

/** Open the store: the client is loaded and the connection started (its failures show at the first operation). */
export async function openRedisStore(target: RedisTarget, opts: ServerStoreOptions): Promise<OnceStore> {
  const mod = await import('ioredis');
  const RedisClass = (mod.Redis ?? mod.default) as unknown as new (o: RedisOptions) => RedisClient;
  const store = new RedisOnceStore(target, opts, RedisClass);
  store.start();
  return store;
}

class RedisOnceStore implements OnceStore {
  readonly where: string;
  private readonly redis: RedisClient & Scripts;
  private readonly prefix: Buffer;
  private connecting: Promise<void> | undefined;
  /** The first error the client reported (its promises only say "Connection is closed."). */
  private firstError: unknown;
  private broken: AutoreplyError | undefined;
  private closed = false;

  constructor(
    private readonly target: RedisTarget,
    private readonly opts: ServerStoreOptions,
    RedisClass: new (o: RedisOptions) => RedisClient,
  ) {
    this.where = target.where;
    this.prefix = Buffer.from(target.prefix, 'utf8');
    const password = target.password ?? opts.password;
    const options: RedisOptions = {
      lazyConnect: true,
      retryStrategy: () => null,
      reconnectOnError: null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      disableClientInfo: true,
      connectTimeout: opts.timeoutMs,
      commandTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
      disconnectTimeout: 0,
      db: target.db,
      scripts: {
        onceClaim: { lua: CLAIM_LUA, numberOfKeys: 2 },
        onceMerge: { lua: MERGE_LUA },
        oncePrune: { lua: PRUNE_LUA },
      },
    };
    if (target.path !== undefined) options.path = target.path;
    else {
      options.host = target.host!;
      options.port = target.port!;
    }
    if (target.username !== undefined) options.username = target.username;
    if (password !== undefined) options.password = password;
    if (target.tls) {
      const tls: Record<string, unknown> = {};
      if (target.tls.ca !== undefined) {
        try {
          tls.ca = readFileSync(target.tls.ca);
        } catch (e) {
          throw configError(`once database ${this.where}: cannot read the CA file ${target.tls.ca}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
      if (target.tls.servername !== undefined) tls.servername = target.tls.servername;
      options.tls = tls;
    }
    this.redis = new RedisClass(options) as RedisClient & Scripts;
    this.redis.on('error', (err: unknown) => {
      this.firstError ??= err;
    });
  }

  start(): void {
    this.connecting = this.connect();
    this.connecting.catch(() => undefined); // reported by the first operation
  }

  // ---- the delivery ---------------------------------------------------------------------

  async claim(c: OnceClaim): Promise<OnceVerdict> {
    checkScope(this.where, c.scope);
    const r = await this.run(() =>
      this.redis.onceClaim(
        this.entryKey(c.scope, c.key),
        this.rateKey(c.scope),
        String(Math.floor(c.now)),
        String(Math.max(0, Math.floor(c.repeatMs))),
        String(Math.max(0, Math.floor(c.maxPerHour))),
        String(Math.max(0, Math.floor(c.keepMs))),
        c.note === undefined ? '0' : '1',
        c.note ?? '',
      ),
    );
    const previous = r.length > 1 && r[1] !== null && r[1] !== undefined ? toRecord(r[1], r[2], r[3]) : undefined;
    switch (r[0]) {
      case 'send':
        return previous ? { send: true, previous } : { send: true };
      case 'repeat':
        return { send: false, previous: previous! };
      case 'rate':
        return { send: false, repliesLastHour: Number(r[1]) };
      default:
        throw tempError(`once database ${this.where}: the claim script answered "${String(r[0])}"`);
    }
  }

  // ---- management -------------------------------------------------------------------------

  async get(key: ByteString, scope: string): Promise<OnceEntry | undefined> {
    checkScope(this.where, scope);
    const [t, c, n] = await this.run(() => this.redis.hmget(this.entryKey(scope, key), 't', 'c', 'n'));
    return t === null || t === undefined ? undefined : toEntry(scope, key, t, c, n);
  }

  /**
   * Redis keeps no order. 'any' (export) streams a SCAN batch at a time (SCAN
   * may return a name twice when the server resizes its table meanwhile: an
   * entry may then be exported twice, which an import merges). 'key' and 'time'
   * collect the names (SCAN, about 100 bytes of memory each), sort them — by
   * name is by (scope, key): the NUL that ends a scope sorts first — and fetch
   * their entries in batches.
   */
  async *entries(order: 'key' | 'time' | 'any', scope: string | undefined): AsyncIterable<OnceEntry> {
    if (scope !== undefined) checkScope(this.where, scope);
    if (order === 'any') {
      for await (const names of this.scan(scope)) yield* await this.fetch(names.filter((k) => this.parse(k).kind === 'entry'));
      return;
    }
    const keys = await this.entryNames(scope);
    let ordered: Buffer[];
    if (order === 'key') ordered = keys.sort(Buffer.compare);
    else {
      const times: { k: Buffer; t: number }[] = [];
      for (let i = 0; i < keys.length; i += BATCH) {
        const batch = keys.slice(i, i + BATCH);
        const ts = await this.pipeline(batch.map((k) => ['hget', k, 't']));
        batch.forEach((k, j) => {
          const t = ts[j];
          if (typeof t === 'string') times.push({ k, t: Number(t) });
        });
      }
      ordered = times.sort((a, b) => a.t - b.t || Buffer.compare(a.k, b.k)).map((x) => x.k);
    }
    for (let i = 0; i < ordered.length; i += BATCH) yield* await this.fetch(ordered.slice(i, i + BATCH));
  }

  async forget(key: ByteString, scope: string): Promise<boolean> {
    checkScope(this.where, scope);
    return (await this.run(() => this.redis.del(this.entryKey(scope, key)))) > 0;
  }

  async prune(beforeMs: number, scope: string | undefined): Promise<number> {
    return this.removeEntries(String(Math.floor(beforeMs)), scope);
  }

  /** The entries of `scope` (or every scope), then their rate histories. */
  async clear(scope: string | undefined): Promise<number> {
    const n = await this.removeEntries('all', scope);
    if (scope !== undefined) await this.run(() => this.redis.del(this.rateKey(scope)));
    else {
      for await (const names of this.scan(undefined)) {
        const rates = names.filter((k) => this.parse(k).kind === 'rate');
        if (rates.length > 0) await this.run(() => this.redis.del(...rates));
      }
    }
    return n;
  }

  /**
   * The LMDB merge rule, in each entry's scope (its own, else `into.scope`). An
   * entry written expires at its last reply + `into.keepMs` (0: never); one
   * whose time is over already is skipped.
   */
  async import(entries: readonly OnceEntry[], into: ImportOptions): Promise<ImportResult> {
    checkScope(this.where, into.scope);
    for (const e of entries) if (e.scope !== undefined) checkScope(this.where, e.scope);
    const result: ImportResult = { added: 0, updated: 0, skipped: 0 };
    const keep = Math.max(0, Math.floor(into.keepMs));
    if (entries.length === 0) await this.run(() => this.redis.ping());
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      const keys = batch.map((e) => this.entryKey(e.scope ?? into.scope, e.key));
      const args: (string | Buffer)[] = [String(Date.now()), String(keep)];
      for (const e of batch) args.push(String(Math.floor(e.lastReply)), String(Math.max(0, Math.floor(e.count))), e.note === undefined ? '0' : '1', e.note ?? '');
      const [a, u, s] = await this.run(() => this.redis.onceMerge(keys.length, ...keys, ...args));
      result.added += Number(a);
      result.updated += Number(u);
      result.skipped += Number(s);
    }
    return result;
  }

  async check(): Promise<CheckReport> {
    const report = new CheckReporter();
    const { lines, fail } = report;
    try {
      const info = parseInfo(await this.run(() => this.redis.info()));
      const role = info.role ?? 'unknown';
      lines.push(`${this.where}: Redis ${info.redis_version ?? '?'}, role ${role}${info.redis_mode && info.redis_mode !== 'standalone' ? `, mode ${info.redis_mode}` : ''}`);
      if (role !== 'master') {
        fail('the server is a read-only replica: deliveries cannot record replies there (give the primary)');
      }
      if (info.redis_mode === 'cluster') {
        fail('Redis Cluster is not supported (an entry and the rate history must be on one server)');
      }
      const maxmemory = Number(info.maxmemory ?? 0);
      const policy = info.maxmemory_policy ?? 'unknown';
      if (maxmemory > 0 && policy !== 'noeviction') {
        lines.push(
          `warning: maxmemory ${maxmemory} with maxmemory-policy ${policy}: when memory is full Redis evicts ${policy.startsWith('allkeys') ? 'any key' : 'keys with a time to live, which every entry has'}, and a correspondent may get a second reply; noeviction is safer (writes then fail and deliveries defer)`,
        );
      } else lines.push(`memory: maxmemory ${maxmemory === 0 ? 'unlimited' : maxmemory}, maxmemory-policy ${policy}`);
      if (info.aof_enabled === '0') lines.push('persistence: AOF off; after a restart, replies recorded since the last snapshot are forgotten');
      let entries = 0;
      let noTtl = 0;
      let others = 0;
      const scopes = new Set<string>();
      const rates: Buffer[] = [];
      for await (const names of this.scan(undefined)) {
        const batch: Buffer[] = [];
        for (const k of names) {
          const name = this.parse(k);
          if (name.kind === 'entry') {
            batch.push(k);
            scopes.add(name.scope);
          } else if (name.kind === 'rate') rates.push(k);
          else others++;
        }
        entries += batch.length;
        const ttls = await this.pipeline(batch.map((k) => ['pttl', k]));
        noTtl += ttls.filter((x) => Number(x) === -1).length;
      }
      lines.push(
        `prefix ${JSON.stringify(this.target.prefix)}: ${entries} ${entries === 1 ? 'entry' : 'entries'}` +
          (entries > 0 ? ` of ${scopes.size} ${scopes.size === 1 ? 'mailbox' : 'mailboxes'}` : '') +
          (noTtl ? ` (${noTtl} without a time to live)` : ''),
      );
      if (others > 0)
        lines.push(
          `warning: ${others} ${others === 1 ? 'key' : 'keys'} under the prefix ${others === 1 ? 'is' : 'are'} not autoreply's (another program's, or an older autoreply's layout): autoreply's prefix should be its own`,
        );
      const since = Date.now() - RATE_WINDOW_MS;
      let replies = 0;
      for (let i = 0; i < rates.length; i += BATCH) {
        const hashes = await this.pipeline(rates.slice(i, i + BATCH).map((k) => ['hgetall', k]));
        for (const rate of hashes) {
          for (const [b, n] of hashPairs(rate)) if ((Number(b) + 1) * 10_000 > since) replies += Number(n);
        }
      }
      lines.push(`rate history: ${replies} replies recorded in the last hour (all mailboxes)`);
    } catch (e) {
      fail(e instanceof AutoreplyError ? e.message : `${this.where}: ${describeRedisError(e, this.ctx(false))}`);
    }
    return report.done();
  }

  async init(): Promise<void> {
    // Nothing to create; make sure the server is there and writable.
    await this.run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status !== 'end') this.redis.disconnect(false);
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /** PREFIX SCOPE NUL KEY (the scope checked by the caller). */
  private entryKey(scope: string, key: ByteString): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(scope, 'utf8'), Buffer.of(SCOPE_END), toBuffer(key)]);
  }

  /** PREFIX SCOPE \x01rate */
  private rateKey(scope: string): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(scope, 'utf8'), RATE_SUFFIX]);
  }

  /** What a name found under the prefix is. */
  private parse(k: Buffer): Name {
    const rest = k.subarray(this.prefix.length);
    const end = rest.indexOf(SCOPE_END);
    if (end >= 0) return { kind: 'entry', scope: rest.subarray(0, end).toString('utf8'), key: fromBuffer(rest.subarray(end + 1)) };
    const r = rest.length - RATE_SUFFIX.length;
    if (r >= 0 && rest.subarray(r).equals(RATE_SUFFIX)) return { kind: 'rate', scope: rest.subarray(0, r).toString('utf8') };
    return { kind: 'other' };
  }

  /** The entries of these names, in this order (those gone meanwhile, or not hashes, left out). */
  private async fetch(names: Buffer[]): Promise<OnceEntry[]> {
    const rows = await this.pipeline(names.map((k) => ['hmget', k, 't', 'c', 'n']));
    const out: OnceEntry[] = [];
    for (let j = 0; j < names.length; j++) {
      const row = rows[j] as (string | null)[] | undefined;
      if (!Array.isArray(row) || row[0] === null || row[0] === undefined) continue; // expired meanwhile, or not ours
      const name = this.parse(names[j]!);
      if (name.kind === 'entry') out.push(toEntry(name.scope, name.key, row[0], row[1], row[2]));
    }
    return out;
  }

  /** prune (before = ms) or clear (before = 'all') the entries of `scope`, or every scope's. */
  private async removeEntries(before: string, scope: string | undefined): Promise<number> {
    if (scope !== undefined) checkScope(this.where, scope);
    let n = 0;
    for await (const names of this.scan(scope)) {
      const entries = names.filter((k) => this.parse(k).kind === 'entry');
      if (entries.length > 0) n += Number(await this.run(() => this.redis.oncePrune(entries.length, ...entries, before)));
    }
    return n;
  }

  private ctx(connecting: boolean) {
    return {
      timeoutMs: this.opts.timeoutMs,
      password: this.target.password ?? this.opts.password,
      connecting,
      username: this.target.username,
      db: this.target.db,
      ca: this.target.tls?.ca,
    };
  }

  private async connect(): Promise<void> {
    try {
      await bounded(this.redis.connect(), this.opts.timeoutMs + GRACE_MS);
      // The handshake's SELECT failing is only an 'error' event: the connection would go on in database 0.
      if (this.firstError) throw this.firstError;
    } catch (e) {
      const err = this.firstError ?? e;
      this.broken ??= tempError(`once database ${this.where}: ${describeRedisError(err, this.ctx(true))}`);
      if (this.redis.status !== 'end') this.redis.disconnect(false);
      throw this.broken;
    }
  }

  /** One command (or script); every failure an AutoreplyError (75). */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('once store used after close()');
    if (this.broken) throw this.broken;
    await this.connecting;
    if (this.broken) throw this.broken;
    try {
      return await bounded(fn(), this.opts.timeoutMs + 2 * GRACE_MS, () => new Error('Command timed out'));
    } catch (e) {
      const lost = this.redis.status !== 'ready';
      const err = lost && this.firstError ? this.firstError : e;
      const line = tempError(`once database ${this.where}: ${describeRedisError(err, this.ctx(false))}`);
      if (lost || /timed out/i.test(String((e as Error)?.message))) {
        this.broken ??= line;
        if (this.redis.status !== 'end') this.redis.disconnect(false);
      }
      throw line;
    }
  }

  /** Several commands in one round trip; a failed one fails all. */
  private async pipeline(cmds: (string | Buffer)[][]): Promise<unknown[]> {
    if (cmds.length === 0) return [];
    const res = await this.run(() => this.redis.pipeline(cmds as [string, ...(string | Buffer)[]][]).exec());
    const out: unknown[] = [];
    for (const [err, v] of res ?? []) {
      if (err && !/WRONGTYPE/.test(err.message)) throw tempError(`once database ${this.where}: ${describeRedisError(err, this.ctx(false))}`);
      out.push(err ? undefined : v);
    }
    return out;
  }

  /**
   * The names under the prefix — of one scope's entries (PREFIX SCOPE NUL*),
   * or of everything (PREFIX*: entries, rate histories, and whatever else is
   * there: callers parse) — a SCAN batch at a time.
   */
  private async *scan(scope: string | undefined): AsyncIterable<Buffer[]> {
    const start = scope === undefined ? this.prefix : Buffer.concat([this.prefix, Buffer.from(scope, 'utf8'), Buffer.of(SCOPE_END)]);
    // a Buffer (the prefix and scope are bytes), whatever ioredis's types say
    const match = Buffer.concat([globEscape(start), Buffer.from('*')]);
    let cursor = '0';
    do {
      const [next, keys] = await this.run(() => this.redis.scanBuffer(cursor, 'MATCH', match as unknown as string, 'COUNT', SCAN_COUNT));
      cursor = String(next);
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }

  /** The names of the entries of `scope` (or every scope), each once (SCAN may return a name twice). */
  private async entryNames(scope: string | undefined): Promise<Buffer[]> {
    const seen = new Map<string, Buffer>();
    for await (const batch of this.scan(scope)) for (const k of batch) if (this.parse(k).kind === 'entry') seen.set(fromBuffer(k), k);
    return [...seen.values()];
  }
}

/** A glob pattern matching `s` literally: \ escapes * ? [ ] \ for MATCH. */
export function globEscape(s: Buffer): Buffer {
  const out: number[] = [];
  for (const b of s) {
    if (b === 0x2a || b === 0x3f || b === 0x5b || b === 0x5d || b === 0x5c) out.push(0x5c);
    out.push(b);
  }
  return Buffer.from(out);
}

/** An entry of `scope`; the scope named unless ''. */
function toEntry(scope: string, key: ByteString, t: unknown, c: unknown, n: unknown): OnceEntry {
  return { key, ...(scope !== '' ? { scope } : {}), ...toRecord(t, c, n) };
}

function toRecord(t: unknown, c: unknown, n: unknown): OnceRecord {
  const r: OnceRecord = { lastReply: Number(t), count: c === null || c === undefined ? 1 : Number(c) };
  if (typeof n === 'string') r.note = n;
  return r;
}

/** A hash as [field, value] pairs, whether the client gave an object or a flat array. */
function hashPairs(h: unknown): [string, string][] {
  if (Array.isArray(h)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < h.length; i += 2) out.push([String(h[i]), String(h[i + 1])]);
    return out;
  }
  return h && typeof h === 'object' ? Object.entries(h as Record<string, string>) : [];
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** `p`, or a rejection after `ms`. */
function bounded<T>(p: Promise<T>, ms: number, timeout: () => Error = () => Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
