/**
 * The once database in PostgreSQL: the tables, the claim function, and the
 * SQL that creates them (for `autoreply once init`, for the first use by a role
 * that may create tables, and — the same text — examples/shared/once-postgresql.sql).
 *
 * For a table NAME (default autoreply_once):
 *
 *   NAME                  one row per mailbox and key
 *     scope       text         the mailbox (OnceClaim.scope: the envelope recipient,
 *                              lower-cased; '' when unknown), compared byte by byte
 *                              (COLLATE "C"): each mailbox has its own entries
 *     key         bytea        the key, exact bytes (normalised recipients, see SPEC 6)
 *     key_sha256  bytea        sha256(key), generated
 *     last_reply  timestamptz  when we last replied (millisecond precision)
 *     count       bigint       how many replies
 *     note        text         the subject of the last reply, for `once list`
 *     primary key (scope, key_sha256): the hash, because a B-tree entry is limited
 *     to ~2.7 KB and keys are not
 *   NAME_last_reply_idx   index on last_reply (prune, list by time)
 *   NAME_rate             replies per mailbox and 10-second bucket (bucket = ms since
 *                         the epoch / 10000), the last hour or so: the `rate` rule
 *                         counts those of the claim's mailbox
 *   NAME_claim(...)       a delivery's check-and-record, one call, one transaction
 *
 * The claim, step by step (the function below):
 *   1. Read the entry (a plain snapshot read). Already answered within
 *      once_repeat (or ever, with 0): return that; nothing is written or locked.
 *   2. With a rate limit, take a transaction-level advisory lock — one per
 *      table and mailbox — so that the claims of one mailbox that may send take
 *      turns (the count read next and the reply recorded after it cannot
 *      interleave with another's), and other mailboxes' claims do not wait.
 *   3. Read the entry again, locking its row (SELECT ... FOR UPDATE); judge
 *      once_repeat again (another host may have replied meanwhile), then the rate.
 *   4. Write: UPDATE the locked row, or INSERT ... ON CONFLICT DO NOTHING for a
 *      new key — when another claim inserted it first, go back to 3 (its row is
 *      committed by then: ON CONFLICT waits for it).
 *   5. Count the reply in its mailbox's bucket; drop that mailbox's buckets
 *      older than an hour and a minute (prune drops stale ones of every mailbox).
 * Locks are always taken in the order advisory lock, entry row, bucket row, so
 * claims cannot deadlock each other.
 *
 * Tables made before the scope column (an older autoreply) are not converted:
 * the store refuses them with a line that says so (TABLE_STATE_SQL).
 */

export interface PgNames {
  /** Quoted, schema-qualified when a schema was given. */
  table: string;
  rate: string;
  claim: string;
  index: string;
  /** Unquoted, for messages and to_regclass(). */
  plainTable: string;
  plainRate: string;
  /** The claim function's signature for to_regprocedure(). */
  claimSignature: string;
  /** The bare names (no schema), e.g. for CREATE INDEX. */
  bareIndex: string;
}

/**
 * The first key of our advisory locks: 'ARon' (autoreply once) as an int4; the
 * second is hashtext() of 'TABLE:SCOPE' (a table name has no ':'), so that each
 * mailbox of each table has its own (two that hash alike merely take turns).
 * The creation of the tables (init) uses LOCK_CLASS + 1 and hashtext('TABLE').
 */
export const LOCK_CLASS = 0x41526f6e;

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

export function pgNames(table: string, schema?: string): PgNames {
  const qual = (n: string) => (schema ? `${q(schema)}.${q(n)}` : q(n));
  const plain = (n: string) => (schema ? `${schema}.${n}` : n);
  return {
    table: qual(table),
    rate: qual(`${table}_rate`),
    claim: qual(`${table}_claim`),
    index: qual(`${table}_last_reply_idx`),
    plainTable: plain(table),
    plainRate: plain(`${table}_rate`),
    claimSignature: `${schema ? q(schema) + '.' : ''}${q(`${table}_claim`)}(text,bytea,bigint,bigint,integer,text)`,
    bareIndex: q(`${table}_last_reply_idx`),
  };
}

/** An SQL string literal. */
export const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** CREATE TABLE for the entries (IF NOT EXISTS). */
export function createTableSql(n: PgNames): string {
  return `CREATE TABLE IF NOT EXISTS ${n.table} (
  scope       text COLLATE "C" NOT NULL DEFAULT '',
  key         bytea       NOT NULL,
  key_sha256  bytea       GENERATED ALWAYS AS (sha256(key)) STORED,
  last_reply  timestamptz NOT NULL,
  count       bigint      NOT NULL DEFAULT 1,
  note        text,
  PRIMARY KEY (scope, key_sha256)
);
CREATE INDEX IF NOT EXISTS ${n.bareIndex} ON ${n.table} (last_reply);`;
}

/** CREATE TABLE for the rate history (IF NOT EXISTS). */
export function createRateSql(n: PgNames): string {
  return `CREATE TABLE IF NOT EXISTS ${n.rate} (
  scope    text COLLATE "C" NOT NULL DEFAULT '',
  bucket   bigint  NOT NULL,   -- floor(ms since the epoch / 10000): 10-second buckets
  replies  integer NOT NULL,
  PRIMARY KEY (scope, bucket)
);`;
}

/** CREATE OR REPLACE FUNCTION for the claim. */
export function createClaimSql(n: PgNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.claim}(
  p_scope text, p_key bytea, p_now bigint, p_repeat bigint, p_max_per_hour integer, p_note text)
RETURNS TABLE (verdict text, prev_reply bigint, prev_count bigint, prev_note text, replies_last_hour bigint)
LANGUAGE plpgsql VOLATILE AS $claim$
-- autoreply once claim, version 2. p_scope is the mailbox (the envelope
-- recipient, '' when unknown): its entries and its rate count are its own.
-- Times are milliseconds since the epoch (the delivering host's clock).
-- verdict: 'send' (recorded; prev_* is the entry before, if any), 'repeat'
-- (answered within p_repeat, or ever with 0; prev_* is the entry), 'rate'
-- (p_max_per_hour replies of this mailbox in the last hour: replies_last_hour).
DECLARE
  h bytea := sha256(p_key);
  ts timestamptz := timestamptz 'epoch' + p_now * interval '1 millisecond';
  found_prev boolean;
  v_reply timestamptz;
  v_count bigint;
  v_note text;
  v_last bigint;
  n bigint := 0;
BEGIN
  -- 1. Answered already? A snapshot read decides that without a lock.
  SELECT o.last_reply, o.count, o.note INTO v_reply, v_count, v_note
    FROM ${n.table} o WHERE o.scope = p_scope AND o.key_sha256 = h;
  IF FOUND THEN
    v_last := round(extract(epoch FROM v_reply) * 1000);
    IF p_repeat <= 0 OR p_now - v_last < p_repeat THEN
      RETURN QUERY SELECT 'repeat'::text, v_last, v_count, v_note, NULL::bigint;
      RETURN;
    END IF;
  END IF;
  -- 2. The claims of one mailbox that may send under a rate limit take turns.
  IF p_max_per_hour > 0 THEN
    PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${literal(n.plainTable + ':')} || p_scope));
  END IF;
  LOOP
    -- 3. The entry again, its row locked until the end of the transaction.
    SELECT o.last_reply, o.count, o.note INTO v_reply, v_count, v_note
      FROM ${n.table} o WHERE o.scope = p_scope AND o.key_sha256 = h FOR UPDATE;
    found_prev := FOUND;
    IF found_prev THEN
      v_last := round(extract(epoch FROM v_reply) * 1000);
      IF p_repeat <= 0 OR p_now - v_last < p_repeat THEN
        RETURN QUERY SELECT 'repeat'::text, v_last, v_count, v_note, NULL::bigint;
        RETURN;
      END IF;
    END IF;
    IF p_max_per_hour > 0 THEN
      SELECT coalesce(sum(r.replies), 0) INTO n FROM ${n.rate} r
        WHERE r.scope = p_scope AND r.bucket >= floor((p_now - 3600000) / 10000.0)::bigint;
      IF n >= p_max_per_hour THEN
        RETURN QUERY SELECT 'rate'::text, NULL::bigint, NULL::bigint, NULL::text, n;
        RETURN;
      END IF;
    END IF;
    -- 4. Record the reply.
    IF found_prev THEN
      UPDATE ${n.table} o SET last_reply = ts, count = o.count + 1, note = coalesce(p_note, o.note)
        WHERE o.scope = p_scope AND o.key_sha256 = h;
      EXIT;
    END IF;
    INSERT INTO ${n.table} AS o (scope, key, last_reply, count, note) VALUES (p_scope, p_key, ts, 1, p_note)
      ON CONFLICT (scope, key_sha256) DO NOTHING;
    EXIT WHEN FOUND;
    -- another claim inserted this key first (and has committed): judge again
  END LOOP;
  -- 5. Count it for the rate rule; keep about an hour of this mailbox's buckets.
  INSERT INTO ${n.rate} AS r (scope, bucket, replies) VALUES (p_scope, floor(p_now / 10000.0)::bigint, 1)
    ON CONFLICT (scope, bucket) DO UPDATE SET replies = r.replies + 1;
  DELETE FROM ${n.rate} r WHERE r.scope = p_scope AND r.bucket < floor((p_now - 3660000) / 10000.0)::bigint;
  IF found_prev THEN
    RETURN QUERY SELECT 'send'::text, v_last, v_count, v_note, NULL::bigint;
  ELSE
    RETURN QUERY SELECT 'send'::text, NULL::bigint, NULL::bigint, NULL::text, NULL::bigint;
  END IF;
END
$claim$;`;
}

/** Everything, as `autoreply once init` runs it (and the example file shows it). */
export function createAllSql(n: PgNames): string {
  return [createTableSql(n), createRateSql(n), createClaimSql(n)].join('\n\n');
}

/**
 * Which of the two tables exist, and which of those lack the scope column (made
 * by an older autoreply): $1 the table, $2 the rate table (quoted names).
 */
export const TABLE_STATE_SQL = `SELECT to_regclass($1) IS NOT NULL AS has_table, to_regclass($2) IS NOT NULL AS has_rate,
  EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'scope' AND NOT attisdropped) AS table_scoped,
  EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'scope' AND NOT attisdropped) AS rate_scoped`;

/** The tables of TABLE_STATE_SQL's row that an older autoreply made (no scope column), by plain name. */
export function olderTables(n: PgNames, row: { has_table?: unknown; has_rate?: unknown; table_scoped?: unknown; rate_scoped?: unknown }): string[] {
  return [...(row.has_table && !row.table_scoped ? [n.plainTable] : []), ...(row.has_rate && !row.rate_scoped ? [n.plainRate] : [])];
}
