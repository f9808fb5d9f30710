-- The once database of autoreply in PostgreSQL, for a role that may not create
-- tables (SPEC 6, "Shared servers"). Run it once, as the owner of the schema
-- (or a superuser), in the database the mail hosts use:
--
--     psql -v ON_ERROR_STOP=1 -d mail -f once-postgresql.sql
--
-- then give the hosts  once = postgresql://mailrole@db.example/mail
-- (the password in the URL, --once-password-file, PGPASSWORD or ~/.pgpass).
--
-- A role that may create tables in the schema needs none of this: the first
-- delivery creates the same objects, and `autoreply once init --once URL` does it
-- explicitly. This is the SQL the program runs, for the default table name
-- autoreply_once. For ?table=NAME in the URL, replace every autoreply_once by
-- NAME (sed 's/autoreply_once/NAME/g'); the other objects are NAME_rate,
-- NAME_claim and NAME_last_reply_idx.
--
-- Replace mailrole by the role the mail hosts connect as. The file can be run
-- again: what exists is left alone, except the function, replaced by the same text.
--
-- Tables made by an autoreply before mailboxes had their own entries (no column
-- "scope") are not converted: autoreply refuses them and says so. Rename or drop
-- them (and the old function autoreply_once_claim(bytea, bigint, bigint, integer,
-- text)) before running this file.

BEGIN;

-- One row per mailbox and correspondent. A shared server serves many mailboxes:
-- each has its own entries, so that two users who answer the same correspondent
-- each answer once.
--   scope       the mailbox: the envelope recipient of the deliveries, lower-cased
--               ('' when unknown), compared byte by byte (COLLATE "C")
--   key         the key, its exact bytes (the normalised recipients, see SPEC 6);
--               to find one by hand:
--               SELECT * FROM autoreply_once WHERE scope = 'alice@example.org'
--                 AND key_sha256 = sha256(convert_to('bob@example.org', 'UTF8'));
--   key_sha256  computed by the server: with scope, the primary key (B-tree entries
--               are limited to about 2.7 KB, keys are not)
--   last_reply  when the last reply went out (millisecond precision)
--   count       how many replies this key has had
--   note        the subject of the last reply, for `autoreply once list`
-- The index on last_reply serves `autoreply once prune` and `list --by-time`.
CREATE TABLE IF NOT EXISTS "autoreply_once" (
  scope       text COLLATE "C" NOT NULL DEFAULT '',
  key         bytea       NOT NULL,
  key_sha256  bytea       GENERATED ALWAYS AS (sha256(key)) STORED,
  last_reply  timestamptz NOT NULL,
  count       bigint      NOT NULL DEFAULT 1,
  note        text,
  PRIMARY KEY (scope, key_sha256)
);
CREATE INDEX IF NOT EXISTS "autoreply_once_last_reply_idx" ON "autoreply_once" (last_reply);

-- The rate history: replies per mailbox and 10-second bucket, for the `rate`
-- rule (--max-replies-per-hour), which counts the replies of the claim's mailbox
-- only. Each claim that sends adds one and drops its mailbox's buckets older than
-- an hour and a minute (`autoreply once prune` those of every mailbox), so it
-- holds a few hundred rows per mailbox at most.
CREATE TABLE IF NOT EXISTS "autoreply_once_rate" (
  scope    text COLLATE "C" NOT NULL DEFAULT '',
  bucket   bigint  NOT NULL,   -- floor(ms since the epoch / 10000): 10-second buckets
  replies  integer NOT NULL,
  PRIMARY KEY (scope, bucket)
);

-- The claim: one call per delivery, one transaction. It reads the entry, decides
-- (once_repeat, then the rate rule), records the reply and returns the verdict.
-- Claims of one mailbox that may send under a rate limit take turns on an
-- advisory lock of that mailbox (1095921518 is 'ARon' as a number), so the limit
-- is exact across hosts and other mailboxes do not wait.
CREATE OR REPLACE FUNCTION "autoreply_once_claim"(
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
    FROM "autoreply_once" o WHERE o.scope = p_scope AND o.key_sha256 = h;
  IF FOUND THEN
    v_last := round(extract(epoch FROM v_reply) * 1000);
    IF p_repeat <= 0 OR p_now - v_last < p_repeat THEN
      RETURN QUERY SELECT 'repeat'::text, v_last, v_count, v_note, NULL::bigint;
      RETURN;
    END IF;
  END IF;
  -- 2. The claims of one mailbox that may send under a rate limit take turns.
  IF p_max_per_hour > 0 THEN
    PERFORM pg_advisory_xact_lock(1095921518, hashtext('autoreply_once:' || p_scope));
  END IF;
  LOOP
    -- 3. The entry again, its row locked until the end of the transaction.
    SELECT o.last_reply, o.count, o.note INTO v_reply, v_count, v_note
      FROM "autoreply_once" o WHERE o.scope = p_scope AND o.key_sha256 = h FOR UPDATE;
    found_prev := FOUND;
    IF found_prev THEN
      v_last := round(extract(epoch FROM v_reply) * 1000);
      IF p_repeat <= 0 OR p_now - v_last < p_repeat THEN
        RETURN QUERY SELECT 'repeat'::text, v_last, v_count, v_note, NULL::bigint;
        RETURN;
      END IF;
    END IF;
    IF p_max_per_hour > 0 THEN
      SELECT coalesce(sum(r.replies), 0) INTO n FROM "autoreply_once_rate" r
        WHERE r.scope = p_scope AND r.bucket >= floor((p_now - 3600000) / 10000.0)::bigint;
      IF n >= p_max_per_hour THEN
        RETURN QUERY SELECT 'rate'::text, NULL::bigint, NULL::bigint, NULL::text, n;
        RETURN;
      END IF;
    END IF;
    -- 4. Record the reply.
    IF found_prev THEN
      UPDATE "autoreply_once" o SET last_reply = ts, count = o.count + 1, note = coalesce(p_note, o.note)
        WHERE o.scope = p_scope AND o.key_sha256 = h;
      EXIT;
    END IF;
    INSERT INTO "autoreply_once" AS o (scope, key, last_reply, count, note) VALUES (p_scope, p_key, ts, 1, p_note)
      ON CONFLICT (scope, key_sha256) DO NOTHING;
    EXIT WHEN FOUND;
    -- another claim inserted this key first (and has committed): judge again
  END LOOP;
  -- 5. Count it for the rate rule; keep about an hour of this mailbox's buckets.
  INSERT INTO "autoreply_once_rate" AS r (scope, bucket, replies) VALUES (p_scope, floor(p_now / 10000.0)::bigint, 1)
    ON CONFLICT (scope, bucket) DO UPDATE SET replies = r.replies + 1;
  DELETE FROM "autoreply_once_rate" r WHERE r.scope = p_scope AND r.bucket < floor((p_now - 3660000) / 10000.0)::bigint;
  IF found_prev THEN
    RETURN QUERY SELECT 'send'::text, v_last, v_count, v_note, NULL::bigint;
  ELSE
    RETURN QUERY SELECT 'send'::text, NULL::bigint, NULL::bigint, NULL::text, NULL::bigint;
  END IF;
END
$claim$;

-- What the mail hosts' role may do: claim (read, insert, update), and the
-- `autoreply once` commands (list, show, forget, prune, clear, import), which
-- also delete. Nothing else: no TRUNCATE, no CREATE, no ownership.
GRANT USAGE ON SCHEMA public TO mailrole;
GRANT SELECT, INSERT, UPDATE, DELETE ON autoreply_once, autoreply_once_rate TO mailrole;
-- Functions may be run by everybody unless revoked from PUBLIC; say it anyway.
GRANT EXECUTE ON FUNCTION autoreply_once_claim(text, bytea, bigint, bigint, integer, text) TO mailrole;

COMMIT;
