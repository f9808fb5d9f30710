/**
 * The once database: whom we answered and when (SPEC 6). A delivery needs one
 * operation from it — `claim`: "may I reply to this key, and if so record that I
 * did", atomically across every process and host that shares the database — so
 * that N concurrent deliveries for one sender produce one reply. The rest serves
 * `autoreply once ...`. Backends: an LMDB file (lmdb/), PostgreSQL (postgres/),
 * Redis (redis/), chosen by open.ts from the `once` value.
 *
 * Keys are byte strings (one char per byte, see bytes.ts): the normalised
 * recipients, or Exim's `to` string under --exim-strict, prefixed by the reply's
 * identity for reply files and --handle (key.ts). Every backend stores them as
 * bytes.
 */
import type { ByteString } from '../bytes.js';

/** What the store remembers about one key. */
export interface OnceRecord {
  /** When we last replied, in milliseconds since the epoch. */
  lastReply: number;
  /** How many replies this key has had. */
  count: number;
  /** Free text shown by `once list` (the subject of the last reply). */
  note?: string;
}

/** One entry as the management commands see it. */
export interface OnceEntry extends OnceRecord {
  key: ByteString;
  /** The mailbox whose entry it is, on a shared server (see OnceClaim.scope), as text; absent for ''. */
  scope?: string;
}

/** One delivery's question. */
export interface OnceClaim {
  key: ByteString;
  /**
   * The mailbox the reply is for (the envelope recipient as text, lower-cased;
   * '' when unknown). A shared server keeps each mailbox's entries and its rate count
   * apart, so that two users of one site who answer the same correspondent each
   * answer once, and one user's flood does not trip another's circuit breaker —
   * as separate LMDB files per user do. An LMDB file ignores it: it is one
   * mailbox's (or one service's) by configuration.
   */
  scope: string;
  /** Now, ms since the epoch (passed in so that tests can fix it). */
  now: number;
  /** Minimum time between replies to one key, ms; 0 = never reply again. */
  repeatMs: number;
  /**
   * The `rate` rule: refuse when this many replies (to any key) were recorded in
   * the hour before `now`; 0 = no limit. Judged in the same atomic step as the
   * record, so concurrent deliveries cannot overshoot it.
   */
  maxPerHour: number;
  /** once_file_size: cap the database at this many bytes (LMDB only), 0 = none. */
  maxBytes: number;
  /**
   * How long the entry must be kept at least (servers that expire entries:
   * Redis): repeatMs, or --once-max-age when repeatMs is 0.
   */
  keepMs: number;
  /** Stored with the record (text). */
  note?: string;
}

/** The answer to a claim. */
export type OnceVerdict =
  /** Reply: the record is written (previous: the entry before, if any). */
  | { send: true; previous?: OnceRecord }
  /** Already answered within once_repeat (or ever, with 0): nothing written. */
  | { send: false; previous: OnceRecord }
  /** The rate rule: `repliesLastHour` replies were recorded in the last hour; nothing written. */
  | { send: false; repliesLastHour: number };

export interface ImportOptions {
  /** once_file_size (LMDB). */
  maxBytes: number;
  /** Where entries expire (Redis): keep each until its last reply plus this long. */
  keepMs: number;
  /** The scope of entries that name none. */
  scope: string;
}

export interface ImportResult {
  added: number;
  updated: number;
  skipped: number;
}

/** What `autoreply once check` reports. */
export interface CheckReport {
  ok: boolean;
  /** Lines for the administrator: what was checked and found. */
  lines: string[];
  /** When not ok: the first thing that makes it unusable, in words (for the one error line). */
  problem?: string;
}

export interface OnceStore {
  /** The database as messages name it: a path, or `postgresql://host:port/db` / `redis://host:port` without any password. */
  readonly where: string;

  /**
   * Check and, when a reply is due, record it — one atomic step, whatever the
   * number of processes or hosts. Throws an AutoreplyError (exit 75) naming the
   * database when it cannot be used (unreachable, locked too long, full, corrupt).
   */
  claim(claim: OnceClaim): Promise<OnceVerdict>;

  /**
   * The management operations take a `scope` (see OnceClaim.scope): undefined
   * means every scope (list, prune, clear, export) — an LMDB file has only ''.
   */
  /** One entry, or undefined. */
  get(key: ByteString, scope: string): Promise<OnceEntry | undefined>;
  /**
   * Every entry, by key (byte order) or by time of the last reply (oldest first),
   * streamed: a database may hold millions; `any` lets the store choose the
   * cheapest order (export).
   */
  entries(order: 'key' | 'time' | 'any', scope: string | undefined): AsyncIterable<OnceEntry>;
  /** Remove one entry; true when it existed. */
  forget(key: ByteString, scope: string): Promise<boolean>;
  /** Remove entries whose last reply is before `beforeMs`; how many. */
  prune(beforeMs: number, scope: string | undefined): Promise<number>;
  /** Remove every entry (and the rate history); how many entries there were. */
  clear(scope: string | undefined): Promise<number>;
  /**
   * Merge entries in: a key already present keeps the later last reply and the
   * larger count. An entry's own scope wins over `into.scope`.
   */
  import(entries: readonly OnceEntry[], into: ImportOptions): Promise<ImportResult>;
  /** The state of the database, for `autoreply once check`. */
  check(): Promise<CheckReport>;
  /** Create what the database needs (a table); a no-op where nothing is needed. */
  init(): Promise<void>;
  /** Let go of files, locks, connections. Never rejects: a claim already made stands. */
  close(): Promise<void>;
}

/** Replies counted by the rate rule are those of the last hour. */
export const RATE_WINDOW_MS = 3_600_000;

/** What a shared server's store needs besides its URL. */
export interface ServerStoreOptions {
  /** Bounds connecting and each statement or command (--once-timeout, default 5 s). */
  timeoutMs: number;
  /** From --once-password-file: used when the URL has none. */
  password?: string;
}
