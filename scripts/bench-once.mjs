#!/usr/bin/env node
// The once database at scale (run at the end of `npm run bench`, or alone):
//
//   node scripts/bench-once.mjs [--entries 1000000] [--samples 51] [--backends lmdb,postgres,redis]
//                               [--fill-budget SECONDS] [--json | --json=FILE]
//                               [--pg-url URL] [--redis-url URL]
//
// For each backend — an LMDB file, PostgreSQL, Redis — and for an empty database
// and one filled with N entries (last replies spread over the past 100 days, all
// in the mailbox the claims are for), the median of:
//   - a claim for a new key (the reply is due: recorded),
//   - a claim for a key already answered (nothing written),
//   - open + claim + close: what one delivery does (for a server: connecting);
// then the size (LMDB: the file; PostgreSQL: the table with its indexes; Redis:
// the memory the entries take) and the time of a prune of the older half.
//
// It runs the real code: src/once/open.ts bundled with esbuild (lmdb, pg and
// ioredis stay in node_modules). Claims go as a delivery makes them: once_repeat
// 7 days, the rate rule at its default of 100 replies an hour — judged on every
// claim; the claims' clock advances a minute per reply recorded, so it never trips.
//
// Filling: the first 50,000 entries through the store's own `import` (the path of
// `autoreply once import`; its rate is reported), the rest by the fastest path
// each backend has: LMDB import again (there is no other); PostgreSQL one
// INSERT ... SELECT FROM generate_series per 100,000 rows, made on the server
// (the store's import merges 1,000 rows a transaction, key by key); Redis a Lua
// loop on the server writing HSET + PEXPIREAT in the store's layout (its import is
// a Lua merge of 500 entries a call). A fill that has not finished after --fill-budget seconds
// (default 120) stops, and the figures are for the entries it made (N is then
// printed with them).
//
// Without --pg-url / --redis-url, private servers are started (and stopped at the
// end, also on Ctrl-C) as scripts/bench.mjs does; bench.mjs passes its own.
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresUnavailable, redisUnavailable, startPostgres, startRedis, stopServers } from './bench/servers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));

// ---- options ------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const N = Number(option('entries') ?? 1_000_000);
const SAMPLES = Number(option('samples') ?? 51);
const FILL_BUDGET_MS = Number(option('fill-budget') ?? 120) * 1000;
const BACKENDS = (option('backends') ?? 'lmdb,postgres,redis').split(',');
// --json: JSON on stdout, the table on stderr; --json=FILE: the table on stdout, JSON into FILE.
const jsonArg = argv.find((a) => a === '--json' || a.startsWith('--json='));
const jsonFile = jsonArg?.startsWith('--json=') ? jsonArg.slice(7) : undefined;
const say = jsonArg && !jsonFile ? (s = '') => process.stderr.write(s + '\n') : (s = '') => console.log(s);
const progress = (s) => process.stderr.write(`  ... ${s}\n`);

// ---- the real store, bundled from src/ ---------------------------------------------------------
const { openOnceStore } = await bundleOnceStore();

/**
 * src/once/open.ts and what it imports, bundled into one CommonJS file (packages
 * stay external: lmdb's native addon, pg and ioredis load from node_modules).
 * As scripts/build.mjs does: AUTOREPLY_VERSION is defined, and import.meta.url
 * (used only where there is no `require`, which a CommonJS file has) is mapped
 * to this file's URL.
 */
async function bundleOnceStore() {
  const dir = join(ROOT, 'node_modules', '.cache', 'autoreply-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'once-store.cjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/once/open.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    define: { 'import.meta.url': '__bench_meta_url', AUTOREPLY_VERSION: JSON.stringify('bench') },
    banner: { js: "const __bench_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  });
  return require(outfile);
}

// ---- the measurements ---------------------------------------------------------------------------
const DAY = 86_400_000;
const MINUTE = 60_000;
const SCOPE = 'bob@example.com';
const NOTE = 'Re: Meeting next week';
const REPEAT_MS = 7 * DAY;
const MAX_PER_HOUR = 100;
const IMPORT_OPTS = { maxBytes: 0, keepMs: 365 * DAY, scope: SCOPE };
const OPEN_OPTS = { mode: 0o600, timeoutMs: 10_000, env: {} };
const realNow = Date.now();
const IMPORT_PROBE = 50_000;
const REDIS_BIG_PREFIX = 'bench:once:big:';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return [at(0.25), at(0.75)];
};
const summary = (xs) => ({ medianMs: median(xs), iqrMs: quartiles(xs), n: xs.length });

/** The claims' clock: a minute later for every reply recorded, so that no hour holds 100 (the rate rule). */
let clock = realNow;
const claimOf = (key, sending) => ({ key, scope: SCOPE, now: sending ? (clock += MINUTE) : clock, repeatMs: REPEAT_MS, maxPerHour: MAX_PER_HOUR, maxBytes: 0, keepMs: REPEAT_MS, note: NOTE });

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

/** Claims on an open store, then whole deliveries (open, claim, close) on `target`. */
async function timeClaims(store, target, label) {
  const fresh = [];
  const answered = [];
  const delivery = [];
  for (let i = 0; i < SAMPLES; i++) {
    const [ms, v] = await timed(() => store.claim(claimOf(`new-${label}-${i}@example.net`, true)));
    if (!v.send) throw new Error(`${target}: a claim for a new key was refused: ${JSON.stringify(v)}`);
    fresh.push(ms);
  }
  for (let i = 0; i < SAMPLES; i++) {
    const [ms, v] = await timed(() => store.claim(claimOf(`new-${label}-${i}@example.net`, false)));
    if (v.send) throw new Error(`${target}: a key already answered was answered again`);
    answered.push(ms);
  }
  for (let i = 0; i < SAMPLES; i++) {
    const [ms, v] = await timed(async () => {
      const s = await openOnceStore(target, OPEN_OPTS);
      try {
        return await s.claim(claimOf(`delivery-${label}-${i}@example.net`, true));
      } finally {
        await s.close();
      }
    });
    if (!v.send) throw new Error(`${target}: a delivery's claim was refused: ${JSON.stringify(v)}`);
    delivery.push(ms);
  }
  return { newKey: summary(fresh), answered: summary(answered), delivery: summary(delivery) };
}

/** Entry i of the big database: last replies evenly over the past 100 days, oldest first. */
const keyOf = (i) => `user${String(i).padStart(7, '0')}@domain${i % 997}.example.org`;
const lastReplyOf = (i, n) => realNow - 100 * DAY + Math.floor((i * 100 * DAY) / n);

/** Entries `from` to `to` - 1 through the store's import, in batches, within the fill budget; where it got to. */
async function fillByImport(store, from, to, batch, t0) {
  let done = from;
  while (done < to && performance.now() - t0 < FILL_BUDGET_MS) {
    const entries = [];
    for (let i = done; i < Math.min(to, done + batch); i++) entries.push({ key: keyOf(i), lastReply: lastReplyOf(i, N), count: 1, note: NOTE });
    const r = await store.import(entries, IMPORT_OPTS);
    if (r.added !== entries.length) throw new Error(`import added ${r.added} of ${entries.length}`);
    done += entries.length;
    if (done % 200_000 === 0) progress(`${done} entries, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return done;
}

/**
 * Fill the big database: the first 50,000 entries through the store's import
 * (its rate is reported for every backend), the rest through the fastest path
 * the backend has: LMDB has no other than import; PostgreSQL makes the rows on
 * the server; Redis takes pipelined HSET + PEXPIREAT in the store's layout.
 */
async function fill(kind, store, env, result) {
  const t0 = performance.now();
  const probe = Math.min(N, IMPORT_PROBE);
  let done = await fillByImport(store, 0, probe, IMPORT_PROBE, t0);
  result.importRate = { entries: done, ms: Math.round(performance.now() - t0), perSecond: Math.round((done * 1000) / (performance.now() - t0)) };
  if (kind === 'lmdb') {
    result.fillMethod = "the store's import (autoreply once import), 50,000 entries per call";
    done = await fillByImport(store, done, N, 50_000, t0);
  } else if (kind === 'postgres') {
    result.fillMethod = `the store's import for the first ${probe.toLocaleString('en')}, then INSERT ... SELECT FROM generate_series on the server (100,000 rows a statement)`;
    done = await fillPostgres(env.pgUrl, 'bench_once_big', done, N, t0);
  } else {
    result.fillMethod = `the store's import for the first ${probe.toLocaleString('en')}, then a Lua loop on the server writing HSET + PEXPIREAT in the store's layout (20,000 entries a call)`;
    done = await fillRedis(env.redisUrl, REDIS_BIG_PREFIX, done, N, t0);
  }
  result.fill = { ms: Math.round(performance.now() - t0), entries: done, complete: done === N };
  // the bulk path wrote what the store reads: the last entry, as the store sees it
  const last = await store.get(keyOf(done - 1), SCOPE);
  if (last?.lastReply !== lastReplyOf(done - 1, N) || last.note !== NOTE) throw new Error(`${kind}: the filled entry ${keyOf(done - 1)} reads back as ${JSON.stringify(last)}`);
  return done;
}

async function benchBackend(kind, env) {
  const result = { backend: kind, entriesWanted: N };
  let empty;
  let big;
  let bigTarget;
  let emptyTarget;
  if (kind === 'lmdb') {
    emptyTarget = join(env.work, 'empty.db');
    bigTarget = join(env.work, 'big.db');
  } else if (kind === 'postgres') {
    emptyTarget = `${env.pgUrl}?table=bench_once_empty`;
    bigTarget = `${env.pgUrl}?table=bench_once_big`;
  } else {
    emptyTarget = `${env.redisUrl}?prefix=bench:once:empty:`;
    bigTarget = `${env.redisUrl}?prefix=${REDIS_BIG_PREFIX}`;
  }
  try {
    empty = await openOnceStore(emptyTarget, OPEN_OPTS);
    await empty.init();
    await empty.clear(undefined); // a server reused from an earlier run
    progress(`${kind}: empty database`);
    result.empty = await timeClaims(empty, emptyTarget, 'empty');

    big = await openOnceStore(bigTarget, OPEN_OPTS);
    await big.init();
    await big.clear(undefined);
    const before = kind === 'redis' ? await redisMemory(env.redisUrl) : 0;
    progress(`${kind}: filling ${N} entries`);
    const filled = await fill(kind, big, env, result);
    result.entries = filled;
    progress(`${kind}: ${filled} entries in ${(result.fill.ms / 1000).toFixed(1)} s`);

    result.size = await sizeOf(kind, env, bigTarget, before, filled);
    result.full = await timeClaims(big, bigTarget, 'big');

    // prune the older half (the entries' last replies span 100 days)
    const [ms, removed] = await timed(() => big.prune(realNow - 50 * DAY, undefined));
    result.prune = { olderThanDays: 50, removed, ms: Math.round(ms) };
    progress(`${kind}: pruned ${removed} in ${(ms / 1000).toFixed(1)} s`);
    if (kind === 'lmdb') result.prune.fileBytesAfter = statSync(bigTarget).size;
    await big.clear(undefined); // leave a reused server as we found it
    await empty.clear(undefined);
  } finally {
    await empty?.close();
    await big?.close();
  }
  return result;
}

/**
 * PostgreSQL: rows made on the server, in the store's layout (scope, key bytes;
 * key_sha256 is a generated column), the same keys and times as the other fills.
 */
async function fillPostgres(url, table, from, n, t0) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    let done = from;
    const STEP = 100_000;
    while (done < n && performance.now() - t0 < FILL_BUDGET_MS) {
      const to = Math.min(n, done + STEP);
      // the key and time of entry i as keyOf / lastReplyOf compute them
      await client.query(
        `INSERT INTO ${table} (scope, key, last_reply, count, note)
         SELECT $1, convert_to('user' || lpad(i::text, 7, '0') || '@domain' || (i % 997) || '.example.org', 'UTF8'),
                timestamptz 'epoch' + ($2::bigint - ${100 * DAY}::bigint + (i::bigint * ${100 * DAY}::bigint) / $3::bigint) * interval '1 millisecond',
                1, $4
         FROM generate_series($5::bigint, $6::bigint) AS i`,
        [SCOPE, String(realNow), String(n), NOTE, done, to - 1],
      );
      done = to;
      if (done % 200_000 === 0) progress(`${done} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // as after any big change: fresh statistics for the planner
    await client.query(`ANALYZE ${table}`);
    return done;
  } finally {
    await client.end();
  }
}

/**
 * Redis: entries made on the server by a Lua loop, in the store's layout
 * (src/once/redis/scripts.ts): a hash PREFIX SCOPE NUL KEY with t, c, n, expiring
 * `keepMs` after its last reply; the same keys and times as keyOf / lastReplyOf.
 * (Pipelining HSET from here runs at about the import's rate on this client.)
 */
const FILL_LUA = `
local head, from, to, now, n, keep, note = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
for i = from, to - 1 do
  local name = head .. 'user' .. string.format('%07d', i) .. '@domain' .. (i % 997) .. '.example.org'
  local t = now - ${100 * DAY} + math.floor(i * ${100 * DAY} / n)
  redis.call('HSET', name, 't', string.format('%.0f', t), 'c', '1', 'n', note)
  redis.call('PEXPIREAT', name, string.format('%.0f', t + keep))
end
return to - from`;

async function fillRedis(url, prefix, from, n, t0) {
  const Redis = require('ioredis');
  const client = new (Redis.Redis ?? Redis)(url, { lazyConnect: true });
  await client.connect();
  try {
    let done = from;
    const STEP = 20_000;
    while (done < n && performance.now() - t0 < FILL_BUDGET_MS) {
      const to = Math.min(n, done + STEP);
      await client.eval(FILL_LUA, 0, `${prefix}${SCOPE}\0`, String(done), String(to), String(realNow), String(n), String(IMPORT_OPTS.keepMs), NOTE);
      done = to;
      if (done % 200_000 === 0) progress(`${done} entries, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return done;
  } finally {
    client.disconnect();
  }
}

async function sizeOf(kind, env, target, redisBefore, entries) {
  if (kind === 'lmdb') {
    const data = statSync(target).size;
    let lock = 0;
    try {
      lock = statSync(`${target}-lock`).size;
    } catch {
      // no LMDB lock file
    }
    return { what: 'data file', bytes: data, lockBytes: lock, bytesPerEntry: Math.round(data / Math.max(1, entries)) };
  }
  if (kind === 'postgres') {
    const { Client } = require('pg');
    const client = new Client({ connectionString: env.pgUrl });
    await client.connect();
    try {
      const r = await client.query(`SELECT pg_total_relation_size('bench_once_big') AS total, pg_relation_size('bench_once_big') AS heap`);
      const bytes = Number(r.rows[0].total);
      return { what: 'table with its indexes', bytes, heapBytes: Number(r.rows[0].heap), bytesPerEntry: Math.round(bytes / Math.max(1, entries)) };
    } finally {
      await client.end();
    }
  }
  const bytes = (await redisMemory(env.redisUrl)) - redisBefore;
  return { what: 'memory (used_memory growth)', bytes, bytesPerEntry: Math.round(bytes / Math.max(1, entries)) };
}

async function redisMemory(url) {
  const Redis = require('ioredis');
  const client = new (Redis.Redis ?? Redis)(url, { lazyConnect: true });
  await client.connect();
  try {
    const info = await client.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)[1]);
  } finally {
    client.disconnect();
  }
}

// ---- the run -------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'autoreply-bench-once-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
// Ctrl-C, or bench.mjs ending: through process.exit, so that the 'exit' hooks run
// (the folder removed; servers of our own stopped by servers.mjs's hook).
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) process.on(sig, () => process.exit(128 + n));
const results = { entries: N, samples: SAMPLES, fillBudgetS: FILL_BUDGET_MS / 1000, backends: {} };
const skipped = {};
const env = { work, pgUrl: option('pg-url'), redisUrl: option('redis-url') };
try {
  say(`once database at ${N.toLocaleString('en')} entries (node ${process.version}; medians of ${SAMPLES} claims, IQR in brackets)`);
  for (const kind of BACKENDS) {
    try {
      if (kind === 'postgres' && !env.pgUrl) {
        const why = postgresUnavailable();
        if (why) throw Object.assign(new Error(why), { skip: true });
        progress('starting PostgreSQL');
        env.pgUrl = startPostgres().url();
      }
      if (kind === 'redis' && !env.redisUrl) {
        const why = redisUnavailable();
        if (why) throw Object.assign(new Error(why), { skip: true });
        progress('starting Redis');
        env.redisUrl = startRedis().url();
      }
      results.backends[kind] = await benchBackend(kind, env);
    } catch (e) {
      skipped[kind] = e.skip ? e.message : `failed: ${e.message}`;
      results.backends[kind] = { backend: kind, skipped: skipped[kind] };
      if (!e.skip) process.exitCode = 1;
    }
    report(kind, results.backends[kind]);
  }
} finally {
  stopServers();
  rmSync(work, { recursive: true, force: true });
}
if (jsonArg && jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
else if (jsonArg) console.log(JSON.stringify(results, null, 2));

function report(kind, r) {
  const title = { lmdb: 'LMDB file', postgres: 'PostgreSQL', redis: 'Redis' }[kind] ?? kind;
  say();
  if (r.skipped) {
    say(`${title}: skipped: ${r.skipped}`);
    return;
  }
  const n = r.entries.toLocaleString('en');
  const ms = (s) => `${s.medianMs.toFixed(2)} ms [${s.iqrMs[0].toFixed(2)}-${s.iqrMs[1].toFixed(2)}]`;
  say(`${title}: ${n} entries filled in ${(r.fill.ms / 1000).toFixed(1)} s by ${r.fillMethod}`);
  say(`  the store's import: ${r.importRate.perSecond.toLocaleString('en')} entries/s (${r.importRate.entries.toLocaleString('en')} in ${(r.importRate.ms / 1000).toFixed(1)} s)`);
  if (!r.fill.complete) say(`  NOTE: the fill did not finish within ${FILL_BUDGET_MS / 1000} s: the figures below are for ${n} entries, not ${N.toLocaleString('en')}`);
  say(`  ${''.padEnd(40)} ${'empty'.padEnd(26)} ${n} entries`);
  say(`  ${'claim, new key (reply recorded)'.padEnd(40)} ${ms(r.empty.newKey).padEnd(26)} ${ms(r.full.newKey)}`);
  say(`  ${'claim, key already answered'.padEnd(40)} ${ms(r.empty.answered).padEnd(26)} ${ms(r.full.answered)}`);
  say(`  ${'open + claim new key + close'.padEnd(40)} ${ms(r.empty.delivery).padEnd(26)} ${ms(r.full.delivery)}`);
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const lock = r.size.lockBytes !== undefined ? ` + ${r.size.lockBytes} B lock file` : '';
  say(`  size: ${mb(r.size.bytes)} ${r.size.what} (${r.size.bytesPerEntry} B/entry)${lock}`);
  const after = r.prune.fileBytesAfter !== undefined ? ` (the file stays ${mb(r.prune.fileBytesAfter)}: LMDB reuses its pages)` : '';
  say(`  prune older than ${r.prune.olderThanDays} days: ${r.prune.removed.toLocaleString('en')} removed in ${(r.prune.ms / 1000).toFixed(2)} s${after}`);
}
