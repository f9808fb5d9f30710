/**
 * The once database: whom we answered and when. The transport needs exactly one
 * operation from it — an atomic "may I reply to this key, and if so record that I
 * did" — so that N concurrent deliveries for one sender produce one reply.
 */

/** What the store remembers about one recipient key. */
export interface OnceRecord {
  /** When we last replied, in milliseconds since the epoch. */
  lastReply: number;
  /** How many replies this key has had. */
  count: number;
  /** Optional free text (a subject or a reply handle) for `once list`. */
  note?: string;
}

/** The outcome of checking and recording one key. */
export type OnceDecision =
  | { send: true; previous?: OnceRecord }
  | { send: false; previous: OnceRecord }
  /** The circuit breaker (`refuseAfter`) said no, for this reason. */
  | { send: false; refused: string };

export interface OnceCheck {
  /** The database key (see SPEC 6: normalised recipients, or the raw `to` under --exim-strict). */
  key: string;
  /** Minimum time between replies in ms; 0 = never reply again. */
  repeatMs: number;
  /** Now, in ms since the epoch (passed in so that tests can fix it). */
  now: number;
  /** Cap on the database size in bytes (once_file_size); 0 = unlimited. */
  maxBytes: number;
  /** Stored with the record. */
  note?: string;
  /**
   * The `rate` rule, judged in the same exclusive transaction as the record: given
   * the replies recorded (to anyone) in the hour before `now`, a reason to refuse,
   * or undefined to go on.
   */
  refuseAfter?: (repliesLastHour: number) => string | undefined;
}

export interface OnceStore {
  /**
   * Check and, when a reply is due, record it — exclusively across processes.
   * Throws an AutoreplyError (exit 75) naming the file when the database cannot be
   * opened, is locked too long, is full or corrupt.
   */
  checkAndRecord(check: OnceCheck): Promise<OnceDecision>;
  /** Replies recorded since `sinceMs` across all keys (for the `rate` rule). */
  countRepliesSince(sinceMs: number): Promise<number>;
  close(): Promise<void>;
}
