/**
 * One table of claim and management scenarios, run against every backend of
 * the once database: the shared servers must mean exactly what the LMDB store
 * means. Each scenario returns a transcript; the expected transcripts are
 * written out by hand here, and the LMDB store runs the same scenarios
 * (SCENARIOS, all in scope '': test/once/lmdb/store.test.ts) and must produce
 * the same.
 *
 * SCOPE_SCENARIOS are the shared servers' alone: each mailbox (OnceClaim.scope)
 * has its own entries and rate count there, as separate LMDB files would (an
 * LMDB file ignores the scope).
 */
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportOptions, OnceClaim, OnceEntry, OnceStore, OnceVerdict } from '../../src/once/store.js';
import { bytes } from '../../src/bytes.js';
import { LmdbOnceStore } from '../../src/once/lmdb/store.js';

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

export type Fresh = () => Promise<OnceStore>;

export const claimOf = (key: string, now: number, more: Partial<OnceClaim> = {}): OnceClaim => ({
  key: bytes(key),
  scope: '',
  now,
  repeatMs: HOUR,
  maxPerHour: 0,
  maxBytes: 0,
  keepMs: HOUR,
  ...more,
});

/** Import options: T0 lies in the past, so imported entries must live long on a server that expires them. */
export const into = (scope = '', keepMs = 100 * YEAR): ImportOptions => ({ maxBytes: 0, keepMs, scope });

/** Every entry (of `scope`, or of all scopes); 'any' sorted by (scope, key) here, to compare. */
export async function list(s: OnceStore, order: 'key' | 'time' | 'any', scope?: string): Promise<OnceEntry[]> {
  const out: OnceEntry[] = [];
  for await (const e of s.entries(order, scope)) out.push(e);
  if (order === 'any') out.sort((a, b) => Buffer.compare(sortName(a), sortName(b)));
  return out;
}
const sortName = (e: OnceEntry) => Buffer.concat([Buffer.from(e.scope ?? '', 'utf8'), Buffer.of(0), Buffer.from(e.key, 'latin1')]);

/** [scope, key] of each entry ('' for none). */
const names = (l: OnceEntry[]) => l.map((e) => [e.scope ?? '', e.key]);

/** A key with every byte value but NUL: keys are bytes. */
export const BINARY_KEY = 'bin ' + Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');

interface Scenario {
  name: string;
  run(s: OnceStore): Promise<unknown[]>;
  expected: unknown[];
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'once_repeat: new key sends, within suppressed, after sends again (count+1)',
    async run(s) {
      return [
        await s.claim(claimOf('a@x.org', T0)),
        await s.claim(claimOf('a@x.org', T0 + 30 * MIN)),
        await s.claim(claimOf('a@x.org', T0 + HOUR - 1)),
        await s.claim(claimOf('a@x.org', T0 + HOUR)),
        await s.get(bytes('a@x.org'), ''),
        await s.claim(claimOf('a@x.org', T0 + 3 * HOUR)),
        await s.get(bytes('a@x.org'), ''),
      ];
    },
    expected: [
      { send: true },
      { send: false, previous: { lastReply: T0, count: 1 } },
      { send: false, previous: { lastReply: T0, count: 1 } },
      { send: true, previous: { lastReply: T0, count: 1 } },
      { key: 'a@x.org', lastReply: T0 + HOUR, count: 2 },
      { send: true, previous: { lastReply: T0 + HOUR, count: 2 } },
      { key: 'a@x.org', lastReply: T0 + 3 * HOUR, count: 3 },
    ],
  },
  {
    name: 'repeat 0 = never again; a clock going back suppresses',
    async run(s) {
      return [
        await s.claim(claimOf('b@x.org', T0, { repeatMs: 0, keepMs: 365 * DAY })),
        await s.claim(claimOf('b@x.org', T0 + 3650 * DAY, { repeatMs: 0, keepMs: 365 * DAY })),
        await s.claim(claimOf('c@x.org', T0)),
        await s.claim(claimOf('c@x.org', T0 - 2 * HOUR)),
        await s.get(bytes('b@x.org'), ''),
        await s.get(bytes('nobody@x.org'), ''),
      ];
    },
    expected: [
      { send: true },
      { send: false, previous: { lastReply: T0, count: 1 } },
      { send: true },
      { send: false, previous: { lastReply: T0, count: 1 } },
      { key: 'b@x.org', lastReply: T0, count: 1 },
      undefined,
    ],
  },
  {
    name: 'the note: stored, kept when a claim has none, replaced by a new one',
    async run(s) {
      return [
        await s.claim(claimOf('n@x.org', T0, { note: 'Re: hello \u00e9\u20ac' })),
        await s.claim(claimOf('n@x.org', T0 + 2 * HOUR)),
        await s.get(bytes('n@x.org'), ''),
        await s.claim(claimOf('n@x.org', T0 + 4 * HOUR, { note: 'Re: again' })),
        await s.claim(claimOf('n@x.org', T0 + 4 * HOUR + 1)),
      ];
    },
    expected: [
      { send: true },
      { send: true, previous: { lastReply: T0, count: 1, note: 'Re: hello \u00e9\u20ac' } },
      { key: 'n@x.org', lastReply: T0 + 2 * HOUR, count: 2, note: 'Re: hello \u00e9\u20ac' },
      { send: true, previous: { lastReply: T0 + 2 * HOUR, count: 2, note: 'Re: hello \u00e9\u20ac' } },
      { send: false, previous: { lastReply: T0 + 4 * HOUR, count: 3, note: 'Re: again' } },
    ],
  },
  {
    name: 'rate: with 3 an hour, the 4th new key is refused and nothing is written; the once check comes first',
    async run(s) {
      const rate = { maxPerHour: 3 };
      return [
        await s.claim(claimOf('r1@x.org', T0, rate)),
        await s.claim(claimOf('r2@x.org', T0 + 1000, rate)),
        await s.claim(claimOf('r3@x.org', T0 + 2000, rate)),
        await s.claim(claimOf('r4@x.org', T0 + 3000, rate)),
        await s.get(bytes('r4@x.org'), ''),
        // an entry within once_repeat is "previously sent", not "rate"
        await s.claim(claimOf('r1@x.org', T0 + 4000, rate)),
        // without a limit the same claim sends (and counts)
        await s.claim(claimOf('r5@x.org', T0 + 5000)),
        await s.claim(claimOf('r4@x.org', T0 + 6000, { maxPerHour: 5 })),
        await s.claim(claimOf('r6@x.org', T0 + 7000, { maxPerHour: 5 })),
        // the buckets of T0 .. T0+7 s leave the window an hour (and a bucket) later
        await s.claim(claimOf('r6@x.org', T0 + HOUR + 9_999, rate)),
        await s.claim(claimOf('r6@x.org', T0 + HOUR + 10_000, rate)),
        await list(s, 'key').then((l) => l.map((e) => e.key)),
      ];
    },
    expected: [
      { send: true },
      { send: true },
      { send: true },
      { send: false, repliesLastHour: 3 },
      undefined,
      { send: false, previous: { lastReply: T0, count: 1 } },
      { send: true },
      { send: true },
      { send: false, repliesLastHour: 5 },
      { send: false, repliesLastHour: 5 },
      { send: true },
      ['r1@x.org', 'r2@x.org', 'r3@x.org', 'r4@x.org', 'r5@x.org', 'r6@x.org'],
    ],
  },
  {
    name: 'entries by key (byte order) and by time (oldest first, ties by key); binary keys',
    async run(s) {
      await s.claim(claimOf('m@x.org', T0 + 2 * MIN));
      await s.claim(claimOf('B@x.org', T0 + 1 * MIN));
      await s.claim(claimOf('\u00e9t\u00e9@x.org', T0));
      await s.claim(claimOf(BINARY_KEY, T0 + 1 * MIN, { note: 'bin' }));
      await s.claim(claimOf('a@x.org', T0 + 1 * MIN));
      const byKey = await list(s, 'key');
      const byTime = await list(s, 'time');
      return [byKey.map((e) => e.key), byTime.map((e) => [e.key, e.lastReply]), await s.get(bytes(BINARY_KEY), '')];
    },
    expected: [
      ['B@x.org', 'a@x.org', BINARY_KEY, 'm@x.org', '\u00e9t\u00e9@x.org'],
      [
        ['\u00e9t\u00e9@x.org', T0],
        ['B@x.org', T0 + MIN],
        ['a@x.org', T0 + MIN],
        [BINARY_KEY, T0 + MIN],
        ['m@x.org', T0 + 2 * MIN],
      ],
      { key: BINARY_KEY, lastReply: T0 + MIN, count: 1, note: 'bin' },
    ],
  },
  {
    name: 'forget, prune (strictly before), clear (entries and the rate history)',
    async run(s) {
      for (let i = 0; i < 5; i++) await s.claim(claimOf(`p${i}@x.org`, T0 + i * MIN));
      const out: unknown[] = [];
      out.push(await s.forget(bytes('p4@x.org'), ''), await s.forget(bytes('p4@x.org'), ''), await s.forget(bytes('never@x.org'), ''));
      out.push(await s.prune(T0 + 2 * MIN, ''));
      out.push((await list(s, 'key', '')).map((e) => e.key));
      out.push(await s.prune(T0, undefined));
      out.push(await s.clear(undefined));
      out.push(await list(s, 'key'));
      // the rate history went too: a limit of 1 lets the next reply through
      out.push(await s.claim(claimOf('p9@x.org', T0 + 10 * MIN, { maxPerHour: 1 })));
      out.push(await s.claim(claimOf('p8@x.org', T0 + 10 * MIN, { maxPerHour: 1 })));
      out.push(await s.clear(''));
      out.push(await s.clear(undefined));
      return out;
    },
    expected: [true, false, false, 2, ['p2@x.org', 'p3@x.org'], 0, 2, [], { send: true }, { send: false, repliesLastHour: 1 }, 1, 0],
  },
  {
    name: 'import: the later last reply and the larger count win; notes; a key given twice merges twice',
    async run(s) {
      await s.claim(claimOf('old@x.org', T0, { note: 'kept' }));
      await s.claim(claimOf('old@x.org', T0 + 2 * HOUR, { note: 'kept' })); // count 2
      await s.claim(claimOf('new@x.org', T0 + 5 * HOUR, { note: 'mine' }));
      const r = await s.import(
        [
          { key: bytes('old@x.org'), lastReply: T0 + 10 * HOUR, count: 1 }, // later: updated, count max(1,2)=2, note kept
          { key: bytes('new@x.org'), lastReply: T0 + 1 * HOUR, count: 7, note: 'theirs' }, // older: skipped, count 7
          { key: bytes('fresh@x.org'), lastReply: T0, count: 0, note: 'f' }, // added, count at least 1
          { key: bytes('fresh@x.org'), lastReply: T0 + HOUR, count: 4 }, // twice: updated, note kept
          { key: bytes('same@x.org'), lastReply: T0, count: 2 }, // added
          { key: bytes('same@x.org'), lastReply: T0, count: 1 }, // same time: skipped
        ],
        into(),
      );
      const empty = await s.import([], into());
      return [r, empty, await list(s, 'key'), await list(s, 'any')];
    },
    expected: [
      { added: 2, updated: 2, skipped: 2 },
      { added: 0, updated: 0, skipped: 0 },
      [
        { key: 'fresh@x.org', lastReply: T0 + HOUR, count: 4, note: 'f' },
        { key: 'new@x.org', lastReply: T0 + 5 * HOUR, count: 7, note: 'mine' },
        { key: 'old@x.org', lastReply: T0 + 10 * HOUR, count: 2, note: 'kept' },
        { key: 'same@x.org', lastReply: T0, count: 2 },
      ],
      [
        { key: 'fresh@x.org', lastReply: T0 + HOUR, count: 4, note: 'f' },
        { key: 'new@x.org', lastReply: T0 + 5 * HOUR, count: 7, note: 'mine' },
        { key: 'old@x.org', lastReply: T0 + 10 * HOUR, count: 2, note: 'kept' },
        { key: 'same@x.org', lastReply: T0, count: 2 },
      ],
    ],
  },
];

const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
/** A scope that begins with another one. */
const BOB_UK = 'bob@example.org.uk';
/** Glob characters in a scope (Redis SCAN patterns must escape them). */
const GLOB = 'g*[ab]?\\x@example.org';
const ZOE = 'zo\u00eb@example.org';

export const SCOPE_SCENARIOS: Scenario[] = [
  {
    name: 'scopes: two mailboxes answer one correspondent, each once; get and forget per mailbox',
    async run(s) {
      const k = 'corr@x.org';
      return [
        await s.claim(claimOf(k, T0, { scope: BOB })),
        await s.claim(claimOf(k, T0 + 1, { scope: CAROL, note: 'carol' })),
        await s.claim(claimOf(k, T0 + 2, { scope: BOB })),
        await s.claim(claimOf(k, T0 + 3)),
        await s.get(bytes(k), BOB),
        await s.get(bytes(k), CAROL),
        await s.get(bytes(k), ''),
        await s.get(bytes(k), 'dave@example.org'),
        await s.forget(bytes(k), BOB),
        await s.forget(bytes(k), BOB),
        await s.get(bytes(k), CAROL),
        await s.claim(claimOf(k, T0 + 4, { scope: BOB })),
        await s.claim(claimOf(k, T0 + 5, { scope: CAROL })),
      ];
    },
    expected: [
      { send: true },
      { send: true },
      { send: false, previous: { lastReply: T0, count: 1 } },
      { send: true },
      { key: 'corr@x.org', scope: BOB, lastReply: T0, count: 1 },
      { key: 'corr@x.org', scope: CAROL, lastReply: T0 + 1, count: 1, note: 'carol' },
      { key: 'corr@x.org', lastReply: T0 + 3, count: 1 },
      undefined,
      true,
      false,
      { key: 'corr@x.org', scope: CAROL, lastReply: T0 + 1, count: 1, note: 'carol' },
      { send: true },
      { send: false, previous: { lastReply: T0 + 1, count: 1, note: 'carol' } },
    ],
  },
  {
    name: "scopes: the rate limit counts each mailbox's replies; clear takes one mailbox's history",
    async run(s) {
      const rate = { maxPerHour: 2 };
      return [
        await s.claim(claimOf('r1@x.org', T0, { ...rate, scope: BOB })),
        await s.claim(claimOf('r2@x.org', T0 + 1000, { ...rate, scope: BOB })),
        await s.claim(claimOf('r3@x.org', T0 + 2000, { ...rate, scope: BOB })),
        // bob's two do not count for carol, nor for ''
        await s.claim(claimOf('r1@x.org', T0 + 3000, { ...rate, scope: CAROL })),
        await s.claim(claimOf('r2@x.org', T0 + 4000, { ...rate, scope: CAROL })),
        await s.claim(claimOf('r3@x.org', T0 + 5000, { ...rate, scope: CAROL })),
        await s.claim(claimOf('r1@x.org', T0 + 6000, rate)),
        await s.clear(CAROL),
        await s.claim(claimOf('r3@x.org', T0 + 7000, { ...rate, scope: CAROL })),
        await s.claim(claimOf('r3@x.org', T0 + 8000, { ...rate, scope: BOB })),
        // bob's replies of T0 .. T0+1 s leave the window an hour (and a bucket) later
        await s.claim(claimOf('r3@x.org', T0 + HOUR + 10_000, { ...rate, scope: BOB })),
        names(await list(s, 'key')),
      ];
    },
    expected: [
      { send: true },
      { send: true },
      { send: false, repliesLastHour: 2 },
      { send: true },
      { send: true },
      { send: false, repliesLastHour: 2 },
      { send: true },
      2,
      { send: true },
      { send: false, repliesLastHour: 2 },
      { send: true },
      [
        ['', 'r1@x.org'],
        [BOB, 'r1@x.org'],
        [BOB, 'r2@x.org'],
        [BOB, 'r3@x.org'],
        [CAROL, 'r3@x.org'],
      ],
    ],
  },
  {
    name: 'scopes: list by key, by time and any order, prune and clear, of one mailbox or all (undefined)',
    async run(s) {
      await s.claim(claimOf('a@x.org', T0 + MIN));
      await s.claim(claimOf('z@x.org', T0 + 3 * MIN));
      await s.claim(claimOf('m@x.org', T0 + 2 * MIN, { scope: BOB }));
      await s.claim(claimOf('a@x.org', T0, { scope: BOB }));
      await s.claim(claimOf('a@x.org', T0 + MIN, { scope: CAROL }));
      await s.claim(claimOf('a@x.org', T0 + 4 * MIN, { scope: BOB_UK }));
      await s.claim(claimOf('a@x.org', T0 + 5 * MIN, { scope: GLOB }));
      await s.claim(claimOf(BINARY_KEY, T0 + 5 * MIN, { scope: ZOE, note: 'z' }));
      const out: unknown[] = [
        names(await list(s, 'key')),
        names(await list(s, 'key', BOB)),
        names(await list(s, 'key', GLOB)),
        names(await list(s, 'key', 'g*')),
        names(await list(s, 'key', 'nobody@example.org')),
        names(await list(s, 'time')),
        names(await list(s, 'time', '')),
        names(await list(s, 'any')),
        names(await list(s, 'any', BOB)),
        await list(s, 'key', ZOE),
        await s.prune(T0 + 2 * MIN, BOB),
        await s.prune(T0 + 2 * MIN, undefined),
        names(await list(s, 'key')),
        await s.clear(BOB),
        await s.clear('g*'),
        names(await list(s, 'key')),
        await s.clear(undefined),
        await list(s, 'key'),
      ];
      return out;
    },
    expected: [
      [
        ['', 'a@x.org'],
        ['', 'z@x.org'],
        [BOB, 'a@x.org'],
        [BOB, 'm@x.org'],
        [BOB_UK, 'a@x.org'],
        [CAROL, 'a@x.org'],
        [GLOB, 'a@x.org'],
        [ZOE, BINARY_KEY],
      ],
      [
        [BOB, 'a@x.org'],
        [BOB, 'm@x.org'],
      ],
      [[GLOB, 'a@x.org']],
      [],
      [],
      [
        [BOB, 'a@x.org'],
        ['', 'a@x.org'],
        [CAROL, 'a@x.org'],
        [BOB, 'm@x.org'],
        ['', 'z@x.org'],
        [BOB_UK, 'a@x.org'],
        [GLOB, 'a@x.org'],
        [ZOE, BINARY_KEY],
      ],
      [
        ['', 'a@x.org'],
        ['', 'z@x.org'],
      ],
      [
        ['', 'a@x.org'],
        ['', 'z@x.org'],
        [BOB, 'a@x.org'],
        [BOB, 'm@x.org'],
        [BOB_UK, 'a@x.org'],
        [CAROL, 'a@x.org'],
        [GLOB, 'a@x.org'],
        [ZOE, BINARY_KEY],
      ],
      [
        [BOB, 'a@x.org'],
        [BOB, 'm@x.org'],
      ],
      [{ key: BINARY_KEY, scope: ZOE, lastReply: T0 + 5 * MIN, count: 1, note: 'z' }],
      1,
      2,
      [
        ['', 'z@x.org'],
        [BOB, 'm@x.org'],
        [BOB_UK, 'a@x.org'],
        [GLOB, 'a@x.org'],
        [ZOE, BINARY_KEY],
      ],
      1,
      0,
      [
        ['', 'z@x.org'],
        [BOB_UK, 'a@x.org'],
        [GLOB, 'a@x.org'],
        [ZOE, BINARY_KEY],
      ],
      4,
      [],
    ],
  },
  {
    name: "scopes: import into a mailbox; an entry's own scope wins; the same key merges per mailbox",
    async run(s) {
      await s.claim(claimOf('old@x.org', T0, { scope: BOB, note: 'kept' }));
      const r = await s.import(
        [
          { key: bytes('old@x.org'), lastReply: T0 + HOUR, count: 3 }, // into bob: updated
          { key: bytes('new@x.org'), lastReply: T0, count: 1 }, // into bob: added
          { key: bytes('old@x.org'), scope: CAROL, lastReply: T0, count: 2, note: 'c' }, // carol's: added
          { key: bytes('old@x.org'), scope: '', lastReply: T0, count: 1 }, // scope '' named: added there
          { key: bytes('old@x.org'), scope: CAROL, lastReply: T0, count: 5 }, // carol's again, same time: skipped, count 5
        ],
        into(BOB),
      );
      return [r, await list(s, 'key'), await s.get(bytes('new@x.org'), BOB)];
    },
    expected: [
      { added: 3, updated: 1, skipped: 1 },
      [
        { key: 'old@x.org', lastReply: T0, count: 1 },
        { key: 'new@x.org', scope: BOB, lastReply: T0, count: 1 },
        { key: 'old@x.org', scope: BOB, lastReply: T0 + HOUR, count: 3, note: 'kept' },
        { key: 'old@x.org', scope: CAROL, lastReply: T0, count: 5, note: 'c' },
      ],
      { key: 'new@x.org', scope: BOB, lastReply: T0, count: 1 },
    ],
  },
  {
    name: 'scopes: a mailbox with a NUL or a lone surrogate is refused (exit 65), nothing written',
    async run(s) {
      const bad = 'a\0b@example.org';
      const ops: (() => Promise<unknown>)[] = [
        () => s.claim(claimOf('x@x.org', T0, { scope: bad })),
        () => s.claim(claimOf('x@x.org', T0, { scope: '\ud800@example.org' })),
        () => s.get(bytes('x@x.org'), bad),
        () => list(s, 'key', bad),
        () => s.forget(bytes('x@x.org'), bad),
        () => s.prune(T0, bad),
        () => s.clear(bad),
        () => s.import([{ key: bytes('x@x.org'), lastReply: T0, count: 1 }], into(bad)),
        () => s.import([{ key: bytes('x@x.org'), scope: bad, lastReply: T0, count: 1 }], into()),
      ];
      const out: unknown[] = [];
      for (const op of ops) {
        try {
          await op();
          out.push('accepted');
        } catch (e) {
          const err = e as { exitCode?: number; message: string };
          out.push([err.exitCode, /^once database .*: a mailbox \(scope\) /.test(err.message)]);
        }
      }
      out.push(await list(s, 'key'));
      return out;
    },
    expected: [...Array.from({ length: 9 }, () => [65, true]), []],
  },
];

/** Plain data, for t.same (undefined properties dropped). */
export function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/** Run every scenario (of `scenarios`) on fresh stores of a backend. */
export async function runScenarios(t: Test, fresh: Fresh, scenarios: readonly Scenario[] = SCENARIOS): Promise<void> {
  for (const sc of scenarios) {
    const s = await fresh();
    try {
      const got = (await sc.run(s)).map(plain);
      t.same(got, sc.expected.map(plain), sc.name);
    } finally {
      await s.close();
    }
  }
}

/** The LMDB store, when it implements OnceStore already (the lead engineer is converting it); else undefined. */
/** Fresh LMDB stores, in a folder removed when the test ends. */
export function lmdbFresh(t: Test): Fresh {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-lmdb-cmp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return async () => new LmdbOnceStore(join(dir, `db${n++}`), 0o600);
}

/** The scenarios every shared server runs: the LMDB scenarios (SCENARIOS, scope '') and the scopes'. */
export function serverScenarios(t: Test, fresh: Fresh): void {
  t.test('claim semantics and management: the LMDB scenarios', (t) => runScenarios(t, fresh));
  t.test('scopes: each mailbox its own entries and rate count', (t) => runScenarios(t, fresh, SCOPE_SCENARIOS));
}

export type { OnceVerdict };
