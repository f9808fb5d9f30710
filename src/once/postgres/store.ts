/**
 * The once database in PostgreSQL (SPEC 6, "Shared servers"): one table shared
 * by every host that delivers for the same users. The schema and the claim
 * function are in schema.ts; this is the client side: one connection per
 * store, every statement bounded by `timeoutMs` (the server cancels it at
 * that time, the client gives up shortly after), every failure an exit 75 in
 * one line naming the server.
 *
 * A delivery costs one connection and one round trip: `SELECT * FROM
 * NAME_claim(...)`. Every row belongs to a mailbox (the claim's scope); the
 * management operations take one, or all when the scope is undefined. The table, its rate history and the function are created
 * on first use when missing and the role may create them; otherwise the line
 * says how to (autoreply once init, or examples/shared/once-postgresql.sql).
 *
 * `pg` and `pgpass` are loaded here only, when a postgresql:// URL is used.
 */
import type { Client, ClientConfig, QueryResultRow } from 'pg';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { configError, tempError, AutoreplyError } from '../../errors.js';
import type { CheckReport, ImportOptions, ImportResult, OnceClaim, OnceEntry, OnceRecord, OnceStore, OnceVerdict, ServerStoreOptions } from '../store.js';
import { CheckReporter } from '../check-report.js';
import { RATE_WINDOW_MS } from '../store.js';
import { checkScope, type PostgresTarget } from '../url.js';
import { describePgError, isMissingObject, isPermissionDenied, isUndefinedColumn } from './errors.js';
import { createClaimSql, createRateSql, createTableSql, LOCK_CLASS, olderTables, pgNames, TABLE_STATE_SQL, type PgNames } from './schema.js';
import { type ByteString, fromBuffer, toBuffer } from '../../bytes.js';

/** How much longer the client waits than the server's statement_timeout, so that the server's cancel (clean) comes first. */
const CLIENT_GRACE_MS = 500;
const FETCH_ROWS = 1000;
const IMPORT_BATCH = 1000;
const DELETE_BATCH = 10_000;

/** Milliseconds since the epoch, exactly, from a timestamptz column. */
const MS = (col: string) => `round(extract(epoch FROM ${col}) * 1000)::bigint`;
/** A timestamptz from milliseconds (a bigint parameter). */
const TS = (param: string) => `(timestamptz 'epoch' + ${param}::bigint * interval '1 millisecond')`;

/** Open the store: the client is loaded and the connection started (its failures show at the first operation). */
export async function openPostgresStore(target: PostgresTarget, opts: ServerStoreOptions): Promise<OnceStore> {
  const pg = await import('pg');
  const ClientClass = (pg.Client ?? pg.default.Client) as typeof Client;
  const store = new PostgresOnceStore(target, opts, ClientClass);
  store.start();
  return store;
}

type Row = QueryResultRow;

class PostgresOnceStore implements OnceStore {
  readonly where: string;
  private readonly names: PgNames;
  private readonly client: Client;
  private connecting: Promise<void> | undefined;
  /** Set when the connection can no longer be used (lost, timed out): every later operation fails with it. */
  private broken: AutoreplyError | undefined;
  private connected = false;
  private closed = false;
  private pgpassNote = '';
  private pgpassPassword: string | undefined;

  constructor(
    private readonly target: PostgresTarget,
    private readonly opts: ServerStoreOptions,
    ClientClass: typeof Client,
  ) {
    this.where = target.where;
    this.names = pgNames(target.table, target.schema);
    const config: ClientConfig = {
      host: target.host,
      port: target.port,
      user: target.user,
      database: target.database,
      // pg takes undefined from this function as "no password" (types say string only)
      password: (() => this.password()) as () => Promise<string>,
      connectionTimeoutMillis: opts.timeoutMs,
      query_timeout: opts.timeoutMs + CLIENT_GRACE_MS,
      statement_timeout: opts.timeoutMs,
      application_name: target.applicationName,
      ssl: this.tlsOptions(),
      keepAlive: true,
    };
    this.client = new ClientClass(config);
    // A connection lost while idle is reported here; the next operation fails with it.
    this.client.on('error', (err) => {
      this.broken ??= this.fail(err, false);
    });
  }

  start(): void {
    this.connecting = this.connect();
    this.connecting.catch(() => undefined); // reported by the first operation
  }

  // ---- the delivery ---------------------------------------------------------------------

  async claim(c: OnceClaim): Promise<OnceVerdict> {
    checkScope(this.where, c.scope);
    const row = await this.withSchema(async () => {
      const r = await this.query(`SELECT * FROM ${this.names.claim}($1, $2, $3, $4, $5, $6)`, [
        c.scope,
        toBuffer(c.key),
        String(Math.floor(c.now)),
        String(Math.max(0, Math.floor(c.repeatMs))),
        Math.max(0, Math.min(2_147_483_647, Math.floor(c.maxPerHour))),
        c.note === undefined ? null : cleanNote(c.note),
      ]);
      return r[0];
    }, true);
    if (!row) throw this.fail(new Error('the claim function returned nothing'), false);
    const previous = row.prev_reply === null || row.prev_reply === undefined ? undefined : toRecord(row.prev_reply, row.prev_count, row.prev_note);
    switch (row.verdict) {
      case 'send':
        return previous ? { send: true, previous } : { send: true };
      case 'repeat':
        return { send: false, previous: previous! };
      case 'rate':
        return { send: false, repliesLastHour: Number(row.replies_last_hour) };
      default:
        throw this.fail(new Error(`the claim function answered "${String(row.verdict)}"`), false);
    }
  }

  // ---- management -------------------------------------------------------------------------

  async get(key: ByteString, scope: string): Promise<OnceEntry | undefined> {
    checkScope(this.where, scope);
    const rows = await this.readOrNothing(() =>
      this.query(`SELECT ${MS('last_reply')} AS ms, count, note FROM ${this.names.table} WHERE scope = $1 AND key_sha256 = sha256($2::bytea)`, [
        scope,
        toBuffer(key),
      ]),
    );
    const r = rows?.[0];
    return r ? toEntry(key, scope, r) : undefined;
  }

  /**
   * Through a cursor, in one read-only snapshot: by (scope, key) — scopes byte
   * by byte, then the key's bytes —, by (last reply, scope, key), or as the
   * table lies ('any', for export: no sort).
   */
  async *entries(order: 'key' | 'time' | 'any', scope: string | undefined): AsyncIterable<OnceEntry> {
    if (scope !== undefined) checkScope(this.where, scope);
    const orderBy = order === 'key' ? 'ORDER BY scope, key' : order === 'time' ? 'ORDER BY last_reply, scope, key' : '';
    const where = scope === undefined ? '' : 'WHERE scope = $1';
    const began = await this.readOrNothing(async () => {
      await this.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        await this.query(
          `DECLARE autoreply_once_entries NO SCROLL CURSOR FOR SELECT scope, key, ${MS('last_reply')} AS ms, count, note FROM ${this.names.table} ${where} ${orderBy}`,
          scope === undefined ? [] : [scope],
        );
      } catch (e) {
        await this.rollback();
        throw e;
      }
      return true;
    });
    if (!began) return;
    let done = false;
    try {
      for (;;) {
        const rows = await this.guard(() => this.query(`FETCH ${FETCH_ROWS} FROM autoreply_once_entries`));
        for (const r of rows) yield toEntry(fromBuffer(r.key as Buffer), r.scope as string, r);
        if (rows.length < FETCH_ROWS) break;
      }
      await this.guard(() => this.query('COMMIT'));
      done = true;
    } finally {
      if (!done) await this.rollback();
    }
  }

  async forget(key: ByteString, scope: string): Promise<boolean> {
    checkScope(this.where, scope);
    const n = await this.readOrNothing(() =>
      this.command(`DELETE FROM ${this.names.table} WHERE scope = $1 AND key_sha256 = sha256($2::bytea)`, [scope, toBuffer(key)]),
    );
    return (n ?? 0) > 0;
  }

  async prune(beforeMs: number, scope: string | undefined): Promise<number> {
    if (scope !== undefined) checkScope(this.where, scope);
    let total = 0;
    const t = this.names.table;
    const before = String(Math.floor(beforeMs));
    const inScope = scope === undefined ? '' : 'AND scope = $2';
    const params = scope === undefined ? [before] : [before, scope];
    // In batches, each within the timeout; the outer condition is judged again on a
    // row that a delivery updates meanwhile, so that a fresh entry is never removed.
    for (;;) {
      const n = await this.readOrNothing(() =>
        this.command(
          `DELETE FROM ${t} WHERE (scope, key_sha256) IN (SELECT scope, key_sha256 FROM ${t} WHERE last_reply < ${TS('$1')} ${inScope} ORDER BY last_reply LIMIT ${DELETE_BATCH}) AND last_reply < ${TS('$1')}`,
          params,
        ),
      );
      if (!n) break;
      total += n;
    }
    // The rate buckets of mailboxes that stopped replying: a claim drops only its own
    // mailbox's; those an hour older than `beforeMs` cannot count for any claim after it.
    // SKIP LOCKED: rows a claim is dropping meanwhile are its own business, and prune
    // never waits for a claim (so that the two cannot deadlock).
    const r = this.names.rate;
    await this.readOrNothing(() =>
      this.command(
        `DELETE FROM ${r} WHERE ctid IN (SELECT ctid FROM ${r} WHERE bucket < floor(($1::bigint - ${RATE_WINDOW_MS + 60_000}) / 10000.0)::bigint ${inScope} FOR UPDATE SKIP LOCKED)`,
        params,
      ),
    );
    return total;
  }

  async clear(scope: string | undefined): Promise<number> {
    if (scope !== undefined) checkScope(this.where, scope);
    let total = 0;
    const t = this.names.table;
    const where = scope === undefined ? '' : 'WHERE scope = $1';
    const params = scope === undefined ? [] : [scope];
    for (;;) {
      const n = await this.readOrNothing(() =>
        this.command(`DELETE FROM ${t} WHERE (scope, key_sha256) IN (SELECT scope, key_sha256 FROM ${t} ${where} LIMIT ${DELETE_BATCH})`, params),
      );
      if (!n) break;
      total += n;
    }
    await this.readOrNothing(() => this.command(`DELETE FROM ${this.names.rate} ${where}`, params));
    return total;
  }

  /**
   * The LMDB merge rule: a key already present (in the entry's scope) keeps the
   * later last reply and the larger count; the note of the later one (or the one
   * there is). An entry without a scope goes into `into.scope`. Per batch: the
   * existing rows are locked (FOR UPDATE), merged here in order — so that a key
   * given twice merges twice, as in LMDB — and written in one statement.
   */
  async import(entries: readonly OnceEntry[], into: ImportOptions): Promise<ImportResult> {
    checkScope(this.where, into.scope);
    for (const e of entries) if (e.scope !== undefined) checkScope(this.where, e.scope);
    const result: ImportResult = { added: 0, updated: 0, skipped: 0 };
    // the table (created when missing), also when there is nothing to import: a problem shows
    await this.withSchema(() => this.query(`SELECT scope FROM ${this.names.table} LIMIT 1`), true);
    for (let i = 0; i < entries.length; i += IMPORT_BATCH) {
      await this.guard(() => this.mergeBatch(entries.slice(i, i + IMPORT_BATCH), into.scope, result));
    }
    return result;
  }

  private async mergeBatch(batch: readonly OnceEntry[], defaultScope: string, result: ImportResult): Promise<void> {
    const t = this.names.table;
    // (scope, key) as one string: a scope has no NUL
    const id = (scope: string, key: string) => `${scope}\0${key}`;
    const scopeOf = (e: OnceEntry) => e.scope ?? defaultScope;
    const wanted = new Map<string, [string, ByteString]>();
    for (const e of batch) wanted.set(id(scopeOf(e), e.key), [scopeOf(e), e.key]);
    await this.query('BEGIN');
    let committed = false;
    try {
      const rows = await this.query(
        `SELECT scope, key, ${MS('last_reply')} AS ms, count, note FROM ${t}
          WHERE (scope, key_sha256) IN (SELECT s, sha256(k) FROM unnest($1::text[], $2::bytea[]) AS u(s, k)) FOR UPDATE`,
        [[...wanted.values()].map(([sc]) => sc), [...wanted.values()].map(([, k]) => toBuffer(k))],
      );
      interface Merged extends OnceRecord {
        scope: string;
        key: ByteString;
        changed: boolean;
      }
      const state = new Map<string, Merged | undefined>();
      for (const r of rows) {
        const key = fromBuffer(r.key as Buffer);
        state.set(id(r.scope as string, key), { scope: r.scope as string, key, ...toRecord(r.ms, r.count, r.note), changed: false });
      }
      for (const e of batch) {
        const scope = scopeOf(e);
        const prev = state.get(id(scope, e.key));
        if (prev && prev.lastReply >= e.lastReply) {
          if (e.count > prev.count) {
            prev.count = e.count;
            prev.changed = true;
          }
          result.skipped++;
          continue;
        }
        const note = e.note ?? prev?.note;
        const next: Merged = { scope, key: e.key, lastReply: e.lastReply, count: Math.max(e.count, prev?.count ?? 0, 1), changed: true };
        if (note !== undefined) next.note = note;
        state.set(id(scope, e.key), next);
        if (prev) result.updated++;
        else result.added++;
      }
      const write = [...state.values()].filter((m): m is Merged => m?.changed === true);
      if (write.length > 0) {
        await this.query(
          `INSERT INTO ${t} AS o (scope, key, last_reply, count, note)
             SELECT s, k, ${TS('ms')}, c, n FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[]) AS u(s, k, ms, c, n)
           ON CONFLICT (scope, key_sha256) DO UPDATE SET
             last_reply = greatest(o.last_reply, excluded.last_reply),
             count = greatest(o.count, excluded.count),
             note = CASE WHEN excluded.last_reply > o.last_reply THEN coalesce(excluded.note, o.note) ELSE o.note END`,
          [
            write.map((m) => m.scope),
            write.map((m) => toBuffer(m.key)),
            write.map((m) => String(Math.floor(m.lastReply))),
            write.map((m) => String(Math.floor(m.count))),
            write.map((m) => (m.note === undefined ? null : cleanNote(m.note))),
          ],
        );
      }
      await this.query('COMMIT');
      committed = true;
    } finally {
      if (!committed) await this.rollback();
    }
  }

  async check(): Promise<CheckReport> {
    const report = new CheckReporter();
    const { lines, fail } = report;
    try {
      const [info] = await this.query(
        `SELECT current_setting('server_version') AS version, current_user AS who, pg_is_in_recovery() AS standby,
                to_regprocedure($3) IS NOT NULL AS has_claim,
                has_schema_privilege(coalesce($4, current_schema()), 'CREATE') AS may_create, s.*
           FROM (${TABLE_STATE_SQL}) AS s`,
        [this.names.table, this.names.rate, this.names.claimSignature, this.target.schema ?? null],
      );
      const i = info!;
      lines.push(`${this.where}: PostgreSQL ${i.version}, connected as ${i.who}${i.standby ? ', a read-only standby' : ''}`);
      if (i.standby) {
        fail('the server is a read-only standby: deliveries cannot record replies there');
      }
      const older = olderTables(this.names, i);
      if (older.length > 0) {
        fail(this.olderTablesLine(older));
        return report.done();
      }
      const missing = [
        ...(i.has_table ? [] : [`table ${this.names.plainTable}`]),
        ...(i.has_rate ? [] : [`table ${this.names.plainRate}`]),
        ...(i.has_claim ? [] : [`function ${this.names.plainTable}_claim`]),
      ];
      if (missing.length > 0) {
        if (i.may_create) lines.push(`${missing.join(', ')} missing: created by the first delivery, or now with "autoreply once init"`);
        else {
          fail(`${missing.join(', ')} missing, and ${i.who} may not create them: ${this.initHint()}`);
        }
      }
      const lacking: string[] = [];
      let maySelect = true;
      for (const [obj, present] of [
        [this.names.table, i.has_table],
        [this.names.rate, i.has_rate],
      ] as const) {
        if (!present) continue;
        const [p] = await this.query(
          `SELECT has_table_privilege($1, 'SELECT') AS s, has_table_privilege($1, 'INSERT') AS i, has_table_privilege($1, 'UPDATE') AS u, has_table_privilege($1, 'DELETE') AS d`,
          [obj],
        );
        const no = [p!.s ? '' : 'SELECT', p!.i ? '' : 'INSERT', p!.u ? '' : 'UPDATE', p!.d ? '' : 'DELETE'].filter(Boolean);
        if (no.length) lacking.push(`${no.join(', ')} on ${obj === this.names.table ? this.names.plainTable : this.names.plainRate}`);
        if (!p!.s) maySelect = false;
      }
      if (i.has_claim) {
        const [p] = await this.query(`SELECT has_function_privilege($1, 'EXECUTE') AS x`, [this.names.claimSignature]);
        if (!p!.x) lacking.push(`EXECUTE on ${this.names.plainTable}_claim`);
      }
      if (i.has_table && maySelect) {
        const [s] = await this.query(
          `SELECT count(*) AS n, count(DISTINCT scope) AS scopes, ${MS('min(last_reply)')} AS oldest, ${MS('max(last_reply)')} AS newest FROM ${this.names.table}`,
        );
        const n = Number(s!.n);
        const scopes = Number(s!.scopes);
        lines.push(
          `table ${this.names.plainTable}: ${n} ${n === 1 ? 'entry' : 'entries'}` +
            (n > 0 ? ` of ${scopes} ${scopes === 1 ? 'mailbox' : 'mailboxes'}, last replies from ${iso(s!.oldest)} to ${iso(s!.newest)}` : ''),
        );
      }
      if (i.has_rate && maySelect) {
        const [r] = await this.query(`SELECT coalesce(sum(replies), 0) AS n FROM ${this.names.rate} WHERE bucket >= floor(($1::bigint - ${RATE_WINDOW_MS}) / 10000.0)::bigint`, [
          String(Date.now()),
        ]);
        lines.push(`rate history: ${Number(r!.n)} replies recorded in the last hour (all mailboxes)`);
      }
      if (lacking.length > 0) {
        fail(`${i.who} lacks ${lacking.join('; ')} (GRANT them: see examples/shared/once-postgresql.sql)`);
      } else if (i.has_table && i.has_rate && i.has_claim) lines.push(`privileges: ${i.who} may claim, list, prune and import`);
    } catch (e) {
      fail(e instanceof AutoreplyError ? e.message : `${this.where}: ${describePgError(e, this.ctx(false))}`);
    }
    return report.done();
  }

  async init(): Promise<void> {
    await this.ensureSchema();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stream = (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    // A goodbye that never completes (a lost connection, a stuck proxy) must not
    // undo a claim already recorded: wait a little, then drop the socket. close()
    // never rejects.
    if (this.connected && !this.broken) {
      await bounded(this.client.end(), Math.min(this.opts.timeoutMs, 2000)).catch(() => undefined);
    }
    stream?.destroy();
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const ctx = this.ctx(true);
    try {
      await bounded(this.client.connect(), this.opts.timeoutMs + CLIENT_GRACE_MS, () => new Error('timeout expired'));
      this.connected = true;
    } catch (e) {
      let cause = describePgError(e, ctx);
      if (this.pgpassNote && /password/.test(cause)) cause += `; ${this.pgpassNote}`;
      this.broken ??= tempError(`once database ${this.where}: ${cause}`);
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      throw this.broken;
    }
  }

  private ctx(connecting: boolean) {
    return { timeoutMs: this.opts.timeoutMs, password: this.secret(), connecting, tls: this.target.tls.mode, rootCert: this.target.tls.rootCert };
  }

  /** The password in use, to keep it out of every message. */
  private secret(): string | undefined {
    return this.target.password ?? this.opts.password ?? (process.env.PGPASSWORD || this.pgpassPassword);
  }

  private fail(err: unknown, connecting: boolean): AutoreplyError {
    if (err instanceof AutoreplyError) return err;
    return tempError(`once database ${this.where}: ${describePgError(err, this.ctx(connecting))}`);
  }

  /** The password, when the server asks: the URL's, --once-password-file, PGPASSWORD, ~/.pgpass. */
  private async password(): Promise<string | undefined> {
    const given = this.target.password ?? this.opts.password ?? (process.env.PGPASSWORD || undefined);
    if (given !== undefined) return given;
    return this.pgpass();
  }

  private async pgpass(): Promise<string | undefined> {
    const mod = await import('pgpass');
    const lookup = (mod.default ?? mod) as typeof import('pgpass');
    // Its warnings (a file that others may read is ignored) go into our message, not onto stderr.
    let warning = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        warning += chunk.toString();
        cb();
      },
    });
    const old = lookup.warnTo(sink);
    try {
      const hosts = this.target.socket ? [this.target.host, 'localhost'] : [this.target.host];
      for (const host of hosts) {
        const found = await new Promise<string | undefined>((resolve) =>
          lookup({ host, port: this.target.port, database: this.target.database, user: this.target.user }, resolve),
        );
        if (found !== undefined) {
          this.pgpassPassword = found;
          return found;
        }
      }
    } finally {
      lookup.warnTo(old);
    }
    const m = /password file "(.*)" has group or world access/.exec(warning);
    if (m) this.pgpassNote = `${m[1]} was ignored: others may read it (chmod 600)`;
    else if (warning.trim()) this.pgpassNote = warning.trim().replace(/^WARNING:\s*/, '').replace(/\s+/g, ' ');
    return undefined;
  }

  private tlsOptions(): ClientConfig['ssl'] {
    const t = this.target.tls;
    if (t.mode === 'disable') return false;
    const read = (what: string, path: string) => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw configError(`once database ${this.where}: cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    };
    const ssl: Record<string, unknown> = {};
    if (t.rootCert) ssl.ca = read('sslrootcert', t.rootCert);
    if (t.cert) ssl.cert = read('sslcert', t.cert);
    if (t.key) ssl.key = read('sslkey', t.key);
    const verifyCa = t.mode === 'verify-ca' || (t.mode === 'require' && t.rootCert !== undefined);
    if (t.mode === 'require' && !verifyCa) ssl.rejectUnauthorized = false;
    else {
      ssl.rejectUnauthorized = true;
      if (verifyCa) ssl.checkServerIdentity = () => undefined;
    }
    return ssl;
  }

  /** Rows of one statement; every failure an AutoreplyError (75). */
  private async query(text: string, values?: unknown[]): Promise<Row[]> {
    const r = await this.exec(text, values);
    return r.rows;
  }

  private async command(text: string, values?: unknown[]): Promise<number> {
    const r = await this.exec(text, values);
    return r.rowCount ?? 0;
  }

  private async exec(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }> {
    if (this.closed) throw new Error('once store used after close()');
    if (this.broken) throw this.broken;
    await this.connecting;
    if (this.broken) throw this.broken;
    try {
      // Our own bound too, in case the client's timer is not enough (it is, as measured).
      return await bounded(this.client.query({ text, values: values ?? [] }), this.opts.timeoutMs + 2 * CLIENT_GRACE_MS, () => new Error('Query read timeout'));
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const isServerError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof (e as { severity?: unknown }).severity === 'string';
      if (isServerError && code !== '57P01' && code !== '57P02') {
        // The connection is fine: let the caller decide (a missing table, a permission).
        throw e;
      }
      // Lost or timed out: the connection cannot be trusted any more.
      this.broken ??= this.fail(e, false);
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      throw this.broken;
    }
  }

  private async rollback(): Promise<void> {
    if (this.broken || this.closed) return;
    try {
      await this.exec('ROLLBACK');
    } catch {
      /* the connection is marked broken when it matters */
    }
  }

  /**
   * Run `fn`; when the table or function is missing, create what is missing
   * (when `create` and the role may) and run it again.
   */
  private async withSchema<T>(fn: () => Promise<T>, create: boolean): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (create && isMissingObject(e)) {
        await this.ensureSchema();
        try {
          return await fn();
        } catch (e2) {
          throw await this.serverFail(e2);
        }
      }
      throw await this.serverFail(e);
    }
  }

  /** `fn`, its failures as AutoreplyErrors (75). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw await this.serverFail(e);
    }
  }

  /** A read on a database without the table finds nothing (as LMDB before its first write). */
  private async readOrNothing<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (isMissingObject(e)) {
        await this.rollback();
        return undefined;
      }
      throw await this.serverFail(e);
    }
  }

  private async serverFail(e: unknown): Promise<AutoreplyError> {
    if (e instanceof AutoreplyError) return e;
    if (isUndefinedColumn(e)) {
      // a table of an older autoreply (no scope column)? Then say so rather than "column scope does not exist".
      await this.rollback();
      try {
        const [state] = await this.exec(TABLE_STATE_SQL, [this.names.table, this.names.rate]).then((r) => r.rows);
        const older = olderTables(this.names, state ?? {});
        if (older.length > 0) return tempError(`once database ${this.where}: ${this.olderTablesLine(older)}`);
      } catch {
        /* the server's own words, then */
      }
    }
    if (isPermissionDenied(e)) {
      const msg = describePgError(e, this.ctx(false));
      return tempError(`once database ${this.where}: ${msg} (user "${this.target.user}" needs SELECT, INSERT, UPDATE, DELETE on ${this.names.plainTable} and ${this.names.plainRate}: see examples/shared/once-postgresql.sql)`);
    }
    return this.fail(e, false);
  }

  /** Tables made by an older autoreply, without the scope column: not converted, refused in these words. */
  private olderTablesLine(older: string[]): string {
    const n = this.names;
    const them = older.length > 1 ? `tables ${older.join(' and ')} were` : `table ${older[0]} was`;
    return `${them} created by an older autoreply (no column "scope": every mailbox's entries together): rename or drop ${n.plainTable}, ${n.plainRate} and the function ${n.plainTable}_claim, then run "autoreply once init --once ${this.where}"`;
  }

  private initHint(): string {
    return `create them with "autoreply once init --once ${this.where}" as a user who may, or with the SQL of examples/shared/once-postgresql.sql`;
  }

  /**
   * Create the tables and the function where missing, in one transaction under
   * an advisory lock (concurrent CREATEs of one table collide in PostgreSQL's
   * catalogue). Objects that exist are left alone, so that a role without CREATE
   * passes when an administrator made them.
   */
  private async ensureSchema(): Promise<void> {
    const n = this.names;
    try {
      await this.query('BEGIN');
      try {
        await this.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS + 1}, hashtext($1))`, [n.plainTable]);
        const [have] = await this.query(`SELECT s.*, to_regprocedure($3) IS NOT NULL AS has_claim FROM (${TABLE_STATE_SQL}) AS s`, [
          n.table,
          n.rate,
          n.claimSignature,
        ]);
        const older = olderTables(n, have!);
        if (older.length > 0) throw tempError(`once database ${this.where}: ${this.olderTablesLine(older)}`);
        const missing: string[] = [];
        if (!have!.has_table) missing.push(createTableSql(n));
        if (!have!.has_rate) missing.push(createRateSql(n));
        if (!have!.has_claim) missing.push(createClaimSql(n));
        if (missing.length > 0) {
          await this.query(missing.join('\n'));
        }
        await this.query('COMMIT');
      } catch (e) {
        await this.rollback();
        throw e;
      }
    } catch (e) {
      if (e instanceof AutoreplyError) throw e;
      if (isPermissionDenied(e)) {
        const what = describePgError(e, this.ctx(false));
        throw tempError(
          `once database ${this.where}: table ${n.plainTable} (or its rate table or claim function) does not exist and user "${this.target.user}" may not create it (${what}); ${this.initHint()}`,
        );
      }
      throw this.fail(e, false);
    }
  }
}

/** `p`, or a rejection after `ms` (with the error `timeout()` makes). */
function bounded<T>(p: Promise<T>, ms: number, timeout: () => Error = () => new Error('timeout expired')): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** An entry of `scope` from a row (ms, count, note); the scope named unless ''. */
function toEntry(key: ByteString, scope: string, r: Row): OnceEntry {
  return { key, ...(scope !== '' ? { scope } : {}), ...toRecord(r.ms, r.count, r.note) };
}

function toRecord(ms: unknown, count: unknown, note: unknown): OnceRecord {
  const r: OnceRecord = { lastReply: Number(ms), count: count === null || count === undefined ? 1 : Number(count) };
  if (typeof note === 'string') r.note = note;
  return r;
}

/** PostgreSQL text cannot hold NUL. */
function cleanNote(note: string): string {
  return note.includes('\0') ? note.replace(/\0/g, '') : note;
}

function iso(ms: unknown): string {
  const n = Number(ms);
  return Number.isFinite(n) ? new Date(n).toISOString() : String(ms);
}

