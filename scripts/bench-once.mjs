#!/usr/bin/env node
// Benchmark of the once database (called from `npm run bench`, or alone):
//   node scripts/bench-once.mjs [--entries 1000000] [--samples 101] [--json]
// Reports, for a database of N entries and, in the same run, an empty one:
//   - size on disk (data file + LMDB lock file),
//   - median time of one check-and-record (a full delivery's worth: lock,
//     open, transaction, close, unlock) and of the rate counter,
//   - time of `prune` removing the older half.
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('entries', 1_000_000);
const SAMPLES = opt('samples', 101);
const asJson = args.includes('--json');

// Bundle the store from source (lmdb stays external and resolves from node_modules).
const cacheDir = join(root, 'node_modules', '.cache', 'autoreply-bench');
mkdirSync(cacheDir, { recursive: true });
const entry = join(cacheDir, 'store.ts');
writeFileSync(entry, `export { openOnceStore } from ${JSON.stringify(join(root, 'src/once/lmdb-store.ts'))};\n`);
const { build } = await import('esbuild');
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(cacheDir, 'store.mjs'), logLevel: 'warning' });
const { openOnceStore } = await import(join(cacheDir, 'store.mjs'));

const work = mkdtempSync(join(tmpdir(), 'autoreply-bench-once-'));
const DAY = 86400e3;
const now = Date.now();
const log = (s) => {
  if (!asJson) process.stderr.write(s + '\n');
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeChecks(store, label) {
  const times = [];
  for (let i = 0; i < SAMPLES; i++) {
    const key = `bench-${label}-${i}@example.net`;
    const t0 = performance.now();
    await store.checkAndRecord({ key, repeatMs: 0, now: now + i, maxBytes: 0 });
    times.push(performance.now() - t0);
  }
  // A sender already answered (the common case under a flood): check only.
  const again = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await store.checkAndRecord({ key: `bench-${label}-${i}@example.net`, repeatMs: 0, now: now + i, maxBytes: 0 });
    again.push(performance.now() - t0);
  }
  const rate = [];
  for (let i = 0; i < Math.min(SAMPLES, 51); i++) {
    const t0 = performance.now();
    await store.countRepliesSince(now - 3600e3);
    rate.push(performance.now() - t0);
  }
  return { newKeyMs: median(times), knownKeyMs: median(again), rateCountMs: median(rate) };
}

function sizeOf(db) {
  const s = (p) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return { dataBytes: s(db), lmdbLockBytes: s(`${db}-lock`) };
}

try {
  // Empty database.
  const emptyDb = join(work, 'empty');
  const empty = await openOnceStore(emptyDb, 0o600);
  const emptyTimes = await timeChecks(empty, 'empty');

  // N entries, last replies spread evenly over the past 100 days.
  const bigDb = join(work, 'big');
  const big = await openOnceStore(bigDb, 0o600);
  log(`filling ${N} entries...`);
  const t0 = performance.now();
  function* entries() {
    for (let i = 0; i < N; i++) {
      yield { key: `user${String(i).padStart(7, '0')}@domain${i % 997}.example.org`, lastReply: now - 100 * DAY + Math.floor((i * 100 * DAY) / N), count: 1 };
    }
  }
  const imported = await big.importEntries(entries(), 0, 50_000);
  const fillMs = performance.now() - t0;
  const stats = await big.stats();
  const size = sizeOf(bigDb);
  log(`filled in ${(fillMs / 1000).toFixed(1)} s: ${stats.entries} entries, ${(size.dataBytes / 1e6).toFixed(1)} MB`);
  const bigTimes = await timeChecks(big, 'big');

  const p0 = performance.now();
  const pruned = await big.prune(now - 50 * DAY);
  const pruneMs = performance.now() - p0;
  const after = await big.stats();
  const sizeAfter = sizeOf(bigDb);

  const result = {
    entries: N,
    samples: SAMPLES,
    fill: { ms: Math.round(fillMs), added: imported.added },
    sizeOnDisk: { ...size, bytesPerEntry: Math.round(size.dataBytes / N), onceFileSizeFigure: stats.bytes },
    empty: emptyTimes,
    full: bigTimes,
    prune: { olderThanDays: 50, removed: pruned, ms: Math.round(pruneMs), entriesLeft: after.entries, dataBytesAfter: sizeAfter.dataBytes },
  };
  if (asJson) console.log(JSON.stringify(result));
  else {
    const f = (x) => `${x.toFixed(2)} ms`;
    console.log(`once database benchmark (${N} entries, medians of ${SAMPLES})`);
    console.log(`  size on disk:            ${(size.dataBytes / 1e6).toFixed(1)} MB data file (${result.sizeOnDisk.bytesPerEntry} B/entry) + ${size.lmdbLockBytes} B lock file`);
    console.log(`  once_file_size figure:   ${stats.bytes} bytes (key + 9 per entry)`);
    console.log(`  check-and-record, new:   empty ${f(emptyTimes.newKeyMs)}   ${N} entries ${f(bigTimes.newKeyMs)}`);
    console.log(`  check, already answered: empty ${f(emptyTimes.knownKeyMs)}   ${N} entries ${f(bigTimes.knownKeyMs)}`);
    console.log(`  rate counter:            empty ${f(emptyTimes.rateCountMs)}   ${N} entries ${f(bigTimes.rateCountMs)}`);
    console.log(`  prune --older-than 50d:  removed ${pruned} in ${(pruneMs / 1000).toFixed(2)} s (file stays ${(sizeAfter.dataBytes / 1e6).toFixed(1)} MB; pages are reused)`);
    console.log(`  (filling took ${(fillMs / 1000).toFixed(1)} s)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
