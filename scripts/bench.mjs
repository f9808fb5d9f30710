#!/usr/bin/env node
// npm run bench: what one delivery costs, side by side with `node -e 0` and peers.
//
//   node scripts/bench.mjs [--runs N] [--before DIR] [--json | --json=FILE] [--no-once]
//                          [--entries N] [--samples N] [--fill-budget S]   (for bench-once.mjs)
//
//   --runs N      runs per row (default 31); every figure is a median, with its
//                 interquartile range [q1-q3] to show how steady it was
//   --before DIR  another checkout of autoreply (its own node_modules and dist/),
//                 measured in the same turns as this one on the rows it supports
//                 (LMDB deliveries, 100 MB, Exim pipe): a before/after table from one run
//   --json        results as JSON on stdout (the tables go to stderr); --json=FILE
//                 writes them into FILE instead
//   --no-once     leave out scripts/bench-once.mjs (the once database at 1M entries)
//
// Method (scripts/bench/measure.mjs): every command runs under `env -i PATH=...`,
// stdin from a file; the rows of a table are measured in turns (run 1 of every
// row, then run 2, ...) so that load on the machine falls on all of them alike;
// wall-clock time of the whole process, including the stand-in sendmail it
// starts. Ratios are of medians to `node -e 0` measured in the same table. Each
// run is checked: a "reply sent" row must have submitted a reply to its stand-in
// sendmail, a "suppressed" or "refused" row must not have.
//
// Tables:
//   1. 2 KB message: autoreply on an LMDB once database (reply sent, suppressed by
//      once), refused by a safety rule, --exim-strict, and on PostgreSQL and Redis
//      once databases (private servers started for the run) — with SPEC 9's targets;
//   2. 100 MB message: time, drain rate, peak RSS against the 2 KB case (GNU time);
//   3. real Exim delivering one message through its built-in autoreply transport
//      vs through a pipe transport into autoreply (needs exim4 and root);
//   4. peers on the same 2 KB message, replying and suppressed: Debian's
//      vacation(1) and Courier's mailbot (maildrop);
//   5. scripts/bench-once.mjs: the once database at 1M entries, each backend.
// A row whose tool is missing says "skipped: why". Targets are marked PASS/FAIL;
// a FAIL does not fail the process (a row that cannot run does: exit 1).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, PATH, runPlan, stats } from './bench/measure.mjs';
import { postgresUnavailable, redisUnavailable, startPostgres, startRedis, stopServers } from './bench/servers.mjs';

const started = Date.now();
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/autoreply');
const NODE = process.execPath;

// ---- options ------------------------------------------------------------------------
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const RUNS = Number(option('runs') ?? 31);
const BEFORE = option('before') === undefined ? undefined : resolve(option('before'));
const jsonArg = argv.find((a) => a === '--json' || a.startsWith('--json='));
const jsonFile = jsonArg?.startsWith('--json=') ? resolve(jsonArg.slice(7)) : undefined;
const jsonToStdout = jsonArg !== undefined && jsonFile === undefined;
if (!(RUNS >= 3)) throw new Error('--runs: at least 3');

const BEFORE_BIN = BEFORE && join(BEFORE, 'bin/autoreply');
if (BEFORE) {
  if (!existsSync(BEFORE_BIN)) throw new Error(`--before ${BEFORE}: no bin/autoreply there`);
  if (!existsSync(join(BEFORE, 'dist'))) throw new Error(`--before ${BEFORE}: no dist/ (build it: cd ${BEFORE} && npm run build)`);
}

/**
 * The rate rule (on by default) refuses a reply when a database has recorded 100
 * in the last hour. A "reply sent" row therefore moves to a fresh database every
 * PER_DB runs (its epoch); the Exim table, whose command lines are fixed in its
 * configuration, runs at most PER_DB times.
 */
const PER_DB = 90;
const epochOf = (i) => Math.floor(i / PER_DB);
const EPOCHS = epochOf(RUNS - 1) + 1;

const work = mkdtempSync(join(tmpdir(), 'autoreply-bench-'));
// Exim's transports run as nobody: they must reach the stand-ins and messages here.
chmodSync(work, 0o755);
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
// Ctrl-C: end through process.exit, so that the 'exit' hooks run (servers stopped,
// folders removed, Exim's trusted_configs restored). A command being measured gets
// the signal too; ours is handled between two runs (runPlan lets the event loop turn).
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) process.on(sig, () => process.exit(128 + n));

const out = [];
const print = (line = '') => {
  out.push(line);
  (jsonToStdout ? process.stderr : process.stdout).write(line + '\n');
};
const results = { node: process.version, runs: RUNS, before: BEFORE, loadAverageAtStart: loadavg()[0], tables: {}, targets: [] };

// ---- inputs ------------------------------------------------------------------------------
const HEADER = (from) =>
  [
    `From: Alice Example <${from}>`,
    'To: Bob Example <bob@example.com>',
    'Subject: Meeting next week',
    'Date: Mon, 17 Nov 2025 10:00:00 +0000',
    `Message-ID: <${from.replace('@', '.')}.1@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    '',
  ].join('\n');
const LINE = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n';
const message2k = (from) => {
  const head = HEADER(from);
  return (head + LINE.repeat(Math.ceil((2048 - head.length) / LINE.length))).slice(0, 2048);
};
/** The envelope sender of each message file written. */
const senders = new Map();
function writeMessage(name, from, { fromLine = false, edit = (s) => s } = {}) {
  const file = join(work, name);
  const body = edit(message2k(from));
  // vacation(1) takes the sender from the mbox From_ line (the others ignore it)
  writeFileSync(file, fromLine ? `From ${from} Mon Nov 17 10:00:00 2025\n${body}` : body);
  senders.set(file, from);
  return file;
}
/** Run i of a "reply sent" row: a message from a new sender (a new once key); every row has its own database. */
const fresh = Array.from({ length: RUNS }, (_, i) => writeMessage(`msg-${i}.eml`, `alice${i}@example.org`));
const freshFrom = Array.from({ length: RUNS }, (_, i) => writeMessage(`msg-from-${i}.eml`, `carol${i}@example.org`, { fromLine: true }));
const fixed = writeMessage('fixed.eml', 'alice@example.org');
const fixedFrom = writeMessage('fixed-from.eml', 'carol@example.org', { fromLine: true });
const bulk = writeMessage('bulk.eml', 'news@example.org', { edit: (s) => s.replace('MIME-Version', 'Precedence: bulk\nMIME-Version').slice(0, 2048) });

const BIG_MB = 100;
const bigMessage = join(work, 'big.eml');
{
  const fd = openSync(bigMessage, 'w');
  const head = HEADER('alice@example.org');
  writeFileSync(fd, head);
  const block = Buffer.from(LINE.repeat(Math.floor((1 << 20) / LINE.length)));
  let written = head.length;
  while (written + block.length <= BIG_MB * 1024 * 1024) {
    writeFileSync(fd, block);
    written += block.length;
  }
  closeSync(fd);
  senders.set(bigMessage, 'alice@example.org');
}

/**
 * A stand-in sendmail for one row: appends the reply to the row's outbox (so
 * that each run can be checked) and exits 0, as fast as a shell can.
 */
function standIn(name) {
  const path = join(work, `sendmail-${name}`);
  const outbox = join(work, `outbox-${name}`);
  writeFileSync(path, `#!/bin/sh\nexec cat >> ${outbox}\n`);
  chmodSync(path, 0o755);
  writeFileSync(outbox, '');
  chmodSync(outbox, 0o666); // Exim's transports run as nobody
  return { path, outbox };
}

// ---- rows ------------------------------------------------------------------------------------
const nodeRow = (input = fixed) => ({ key: 'node', name: 'node -e 0', runs: Array.from({ length: RUNS }, () => ({ argv: [NODE, '-e', '0'], input })) });

/**
 * An autoreply row. `once(epoch)` names its database (undefined: none); `input(i)`
 * is run i's message; `expect` what each run must do; `setup` records the sender of
 * `answered` first (a "suppressed by once" row).
 */
function autoreplyRow({ key, name, bin = BIN, once, extra = [], input, expect, answered, runs = RUNS, rss = false }) {
  const sm = standIn(key);
  const cmd = (file, epoch) => [
    NODE, bin, '--sender', senders.get(file), '--recipient', 'bob@example.com',
    '--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'I am away this week.\n', '--sendmail', sm.path,
    ...extra, ...(once ? ['--once', once(epoch)] : []),
  ]; // prettier-ignore
  return {
    key,
    name,
    // a suppressed row stays on the database where its sender was answered (it records nothing)
    runs: Array.from({ length: runs }, (_, i) => ({ argv: cmd(input(i), answered ? 0 : epochOf(i)), input: input(i) })),
    setup: answered ? [{ argv: cmd(answered, 0), input: answered }] : [],
    outbox: sm.outbox,
    expect,
    rss,
  };
}

/** Stats and ratios of a measured table; `refs` maps a row key to the key of the row it is compared with. */
function summarise(table, rows, measured, { refs = {}, targets = {}, base = 'node' } = {}) {
  const byKey = {};
  rows.forEach((row, j) => {
    const m = measured[j];
    byKey[row.key] = { key: row.key, name: row.name, error: m.error, stats: stats(m.ms), peakRssKB: m.kb.length ? stats(m.kb).median : undefined };
  });
  const baseMs = byKey[base]?.stats?.median;
  for (const r of Object.values(byKey)) {
    if (!r.stats) continue;
    if (baseMs) r.xNode = r.stats.median / baseMs;
    const ref = refs[r.key] && byKey[refs[r.key].key];
    if (ref?.stats) r.ref = { key: ref.key, label: refs[r.key].label, ratio: r.stats.median / ref.stats.median };
    const t = targets[r.key];
    if (t) {
      const value = t.of === 'ref' ? r.ref?.ratio : r.xNode;
      if (value !== undefined) {
        r.target = { text: `<= ${t.max}x ${t.of === 'ref' ? r.ref.label : 'node -e 0'}`, max: t.max, value, pass: value <= t.max };
        results.targets.push({ table, row: r.name, target: r.target.text, value: Number(value.toFixed(3)), pass: r.target.pass });
      }
    }
    if (r.error) process.exitCode = 1;
  }
  results.tables[table] = Object.values(byKey).map((r) => ({
    key: r.key,
    name: r.name,
    ...(r.error ? { error: r.error } : {}),
    ...(r.stats ? { medianMs: r.stats.median, q1Ms: r.stats.q1, q3Ms: r.stats.q3, minMs: r.stats.min, maxMs: r.stats.max, n: r.stats.n } : {}),
    ...(r.xNode !== undefined ? { xNode: r.xNode } : {}),
    ...(r.ref ? { xRef: r.ref.ratio, ref: r.ref.key } : {}),
    ...(r.target ? { target: r.target.text, pass: r.target.pass } : {}),
    ...(r.peakRssKB !== undefined ? { peakRssKB: r.peakRssKB } : {}),
  }));
  return byKey;
}

const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
const iqr = (s) => `[${s.q1.toFixed(1)}-${s.q3.toFixed(1)}]`;

/** One line per row: name, median, IQR, x node -e 0, x its reference, target verdict. */
function printRows(byKey, { width = 62, refHeader = '' } = {}) {
  print(`  ${''.padEnd(width)} ${'median'.padStart(9)}  ${'IQR'.padEnd(13)} ${'x node -e 0'.padStart(11)}  ${refHeader.padStart(13)}  target`);
  for (const r of Object.values(byKey)) {
    if (r.error) {
      print(`  ${r.name.padEnd(width)} FAILED: ${r.error}`);
      continue;
    }
    if (!r.stats) continue;
    const x = r.xNode === undefined ? '' : `${r.xNode.toFixed(2)}x`;
    const ref = r.ref ? `${r.ref.ratio.toFixed(2)}x` : '';
    const target = r.target ? `${r.target.text} ${r.target.pass ? 'PASS' : 'FAIL'}` : '';
    print(`  ${r.name.padEnd(width)} ${fmtMs(r.stats.median).padStart(9)}  ${iqr(r.stats).padEnd(13)} ${x.padStart(11)}  ${ref.padStart(13)}  ${target}`);
  }
}

print(`autoreply bench: node ${process.version}, ${RUNS} runs per row in turns, medians [interquartile range]; load average ${loadavg()[0].toFixed(2)} (${process.env.npm_lifecycle_event ? 'npm run bench' : 'bench.mjs'})`);
print(`(every command under env -i PATH=${PATH}; stdin from a file; each run checked: a reply submitted or not, as the row says)`);
if (BEFORE) print(`before: ${BEFORE} (${gitDescribe(BEFORE)}); after: ${ROOT} (${gitDescribe(ROOT)})`);
print();

// ---- 1. the 2 KB message --------------------------------------------------------------------------
const servers = {};
for (const [kind, unavailable, start] of [
  ['postgres', postgresUnavailable, startPostgres],
  ['redis', redisUnavailable, startRedis],
]) {
  const why = unavailable();
  if (why) {
    servers[kind] = { skip: why };
    continue;
  }
  try {
    servers[kind] = { server: start() };
  } catch (e) {
    servers[kind] = { skip: `could not start: ${e.message.split('\n')[0]}` };
    process.exitCode = 1;
  }
}
/** The URL of a server's database for an epoch (a table or key prefix of its own, each created with `once init`). */
const pgOnce = (epoch) => servers.postgres.server.url() + (epoch ? `?table=autoreply_once_e${epoch}` : '');
const redisOnce = (epoch) => servers.redis.server.url() + (epoch ? `?prefix=autoreply:once:e${epoch}:` : '');
for (const [kind, url] of [
  ['postgres', pgOnce],
  ['redis', redisOnce],
]) {
  if (!servers[kind].server) continue;
  for (let e = 0; e < EPOCHS; e++) {
    const r = spawnSync('env', ['-i', `PATH=${PATH}`, NODE, BIN, 'once', 'init', '--once', url(e)], { encoding: 'utf8' });
    if (r.status !== 0) servers[kind] = { ...servers[kind], skip: `autoreply once init failed: ${r.stderr.trim()}` };
  }
}

const lmdb = (name) => (epoch) => join(work, `${name}-e${epoch}.db`);
const startRows = [nodeRow()];
const refs = {};
const targets = {};
function addStart(row, { ref, target } = {}) {
  startRows.push(row);
  if (ref) refs[row.key] = ref;
  if (target) targets[row.key] = target;
}
addStart(autoreplyRow({ key: 'lmdb-reply', name: 'reply sent, LMDB once database (new sender)', once: lmdb('once'), input: (i) => fresh[i], expect: 'sent' }), { target: { of: 'node', max: 2.0 } });
addStart(autoreplyRow({ key: 'lmdb-suppressed', name: 'suppressed by once, LMDB (sender already answered)', once: lmdb('once'), input: () => fixed, answered: fixed, expect: 'none' }), {
  target: { of: 'node', max: 1.8 },
});
addStart(autoreplyRow({ key: 'refused', name: 'refused by a safety rule (Precedence: bulk; db not opened)', once: lmdb('once'), input: () => bulk, expect: 'none' }), { target: { of: 'node', max: 1.25 } });
addStart(autoreplyRow({ key: 'strict-reply', name: '--exim-strict: reply sent, LMDB', once: lmdb('once-strict'), extra: ['--exim-strict'], input: (i) => fresh[i], expect: 'sent' }));
const skippedStart = [];
for (const [kind, label, url] of [
  ['postgres', 'PostgreSQL', pgOnce],
  ['redis', 'Redis', redisOnce],
]) {
  if (servers[kind].skip) {
    skippedStart.push(`${label} rows skipped: ${servers[kind].skip}`);
    continue;
  }
  addStart(autoreplyRow({ key: `${kind}-reply`, name: `reply sent, ${label} once database`, once: url, input: (i) => fresh[i], expect: 'sent' }), {
    ref: { key: 'lmdb-reply', label: 'LMDB' },
    target: { of: 'ref', max: 1.3 },
  });
  addStart(autoreplyRow({ key: `${kind}-suppressed`, name: `suppressed by once, ${label}`, once: url, input: () => fixed, answered: fixed, expect: 'none' }), {
    ref: { key: 'lmdb-suppressed', label: 'LMDB' },
    target: { of: 'ref', max: 1.3 },
  });
}
// The same deliveries by the older checkout, in the same turns (it has no PostgreSQL or Redis).
const beforeKeys = { 'before-lmdb-reply': 'lmdb-reply', 'before-lmdb-suppressed': 'lmdb-suppressed', 'before-refused': 'refused', 'before-strict-reply': 'strict-reply' };
if (BEFORE) {
  const b = { bin: BEFORE_BIN };
  addStart(autoreplyRow({ ...b, key: 'before-lmdb-reply', name: 'before: reply sent, LMDB', once: lmdb('before-once'), input: (i) => fresh[i], expect: 'sent' }));
  addStart(autoreplyRow({ ...b, key: 'before-lmdb-suppressed', name: 'before: suppressed by once, LMDB', once: lmdb('before-once'), input: () => fixed, answered: fixed, expect: 'none' }));
  addStart(autoreplyRow({ ...b, key: 'before-refused', name: 'before: refused by a safety rule', once: lmdb('before-once'), input: () => bulk, expect: 'none' }));
  addStart(autoreplyRow({ ...b, key: 'before-strict-reply', name: 'before: --exim-strict: reply sent', once: lmdb('before-once-strict'), extra: ['--exim-strict'], input: (i) => fresh[i], expect: 'sent' }));
}

print(`1. 2 KB message, one delivery (${RUNS} runs in turns; a new database every ${PER_DB} replies, for the rate rule)`);
{
  const measured = await runPlan(startRows);
  const byKey = summarise('start', startRows, measured, { refs, targets });
  const after = Object.fromEntries(Object.entries(byKey).filter(([k]) => !k.startsWith('before-')));
  printRows(after, { refHeader: 'x LMDB' });
  for (const s of skippedStart) print(`  ${s}`);
  if (BEFORE) printBeforeAfter(byKey, beforeKeys);
  for (const kind of ['postgres', 'redis']) if (servers[kind].server) print(`  (${kind}: private server at ${servers[kind].server.url()}, folder ${servers[kind].server.dir})`);
}
print(`  load average now ${loadavg()[0].toFixed(2)}`);
print();

/** Before and after side by side: both medians, their ratio, and each against node -e 0. */
function printBeforeAfter(byKey, pairs, width = 62) {
  print('  before/after (same turns)');
  print(`  ${''.padEnd(width)} ${'before'.padStart(9)} ${'x node'.padStart(7)}  ${'after'.padStart(9)} ${'x node'.padStart(7)}  after/before`);
  const rows = [];
  for (const [b, a] of Object.entries(pairs)) {
    const B = byKey[b];
    const A = byKey[a];
    if (!B || !A) continue;
    if (B.error || A.error || !B.stats || !A.stats) {
      print(`  ${(A?.name ?? a).padEnd(width)} ${B?.error ? `before FAILED: ${B.error}` : ''} ${A?.error ? `after FAILED: ${A.error}` : ''}`);
      continue;
    }
    const ratio = A.stats.median / B.stats.median;
    rows.push({ row: A.name, beforeMs: B.stats.median, afterMs: A.stats.median, afterOverBefore: ratio });
    const xb = B.xNode === undefined ? '' : `${B.xNode.toFixed(2)}x`;
    const xa = A.xNode === undefined ? '' : `${A.xNode.toFixed(2)}x`;
    print(`  ${A.name.padEnd(width)} ${fmtMs(B.stats.median).padStart(9)} ${xb.padStart(7)}  ${fmtMs(A.stats.median).padStart(9)} ${xa.padStart(7)}  ${ratio.toFixed(2)}x`);
  }
  (results.beforeAfter ??= []).push(...rows);
}

// ---- 2. the 100 MB message --------------------------------------------------------------------------
{
  const bigRuns = Math.max(3, Math.ceil(RUNS / 4));
  const bigRow = (key, name, input, extra, bin) => autoreplyRow({ key, name, bin, input: () => input, extra, expect: 'sent', runs: bigRuns, rss: true });
  const rows = [
    bigRow('2k', '2 KB, reply sent (reference for RSS)', fixed, []),
    bigRow('100m', `${BIG_MB} MB, reply sent`, bigMessage, []),
    bigRow('100m-return', `${BIG_MB} MB, reply sent with return_message`, bigMessage, ['--return-message', 'true']),
  ];
  if (BEFORE) {
    rows.push(bigRow('before-2k', 'before: 2 KB, reply sent', fixed, [], BEFORE_BIN));
    rows.push(bigRow('before-100m', `before: ${BIG_MB} MB, reply sent`, bigMessage, [], BEFORE_BIN));
    rows.push(bigRow('before-100m-return', `before: ${BIG_MB} MB, reply sent with return_message`, bigMessage, ['--return-message', 'true'], BEFORE_BIN));
  }
  print(`2. ${BIG_MB} MB message (${bigRuns} runs in turns, no once database)${haveGnuTime() ? '' : ' — peak RSS needs GNU time (apt-get install time)'}`);
  const byKey = summarise('big', rows, await runPlan(rows));
  print(`  ${''.padEnd(52)} ${'median'.padStart(9)}  ${'IQR'.padEnd(15)} ${'drain rate'.padStart(10)}   peak RSS`);
  for (const r of Object.values(byKey)) {
    if (r.error) {
      print(`  ${r.name.padEnd(52)} FAILED: ${r.error}`);
      continue;
    }
    const rate = r.key.includes('100m') ? `${((BIG_MB * 1.048576) / (r.stats.median / 1000)).toFixed(0)} MB/s` : '';
    const rss = r.peakRssKB === undefined ? 'n/a' : `${(r.peakRssKB / 1024).toFixed(1)} MB`;
    print(`  ${r.name.padEnd(52)} ${fmtMs(r.stats.median).padStart(9)}  ${iqr(r.stats).padEnd(15)} ${rate.padStart(10)}   ${rss}`);
  }
  for (const prefix of ['', ...(BEFORE ? ['before-'] : [])]) {
    const ref = byKey[`${prefix}2k`]?.peakRssKB;
    const big = [byKey[`${prefix}100m`]?.peakRssKB, byKey[`${prefix}100m-return`]?.peakRssKB].filter((x) => x !== undefined);
    if (ref !== undefined && big.length) {
      const growth = (Math.max(...big) - ref) / 1024;
      print(`  ${prefix ? 'before: ' : ''}peak RSS over the 2 KB case: ${growth.toFixed(1)} MB (SPEC 9: memory stays flat for a ${BIG_MB} MB message)`);
      (results.bigRssGrowthMB ??= {})[prefix ? 'before' : 'after'] = Number(growth.toFixed(1));
    }
  }
}
print();

// ---- 3. Exim ----------------------------------------------------------------------------
const EXIM_RUNS = Math.min(RUNS, PER_DB);
print(`3. Exim, one delivery (exim -odi: reception, routing, transport, reply submitted; ${EXIM_RUNS} runs in turns)`);
const eximSkip = eximUnavailable();
if (eximSkip) {
  print(`  skipped: ${eximSkip}`);
  results.tables.exim = { skipped: eximSkip };
} else {
  const exim = eximWorld();
  try {
    const rows = [
      { ...nodeRow(), runs: nodeRow().runs.slice(0, EXIM_RUNS) },
      exim.row('builtin', 'exim, built-in autoreply transport'),
      exim.row('piped', 'exim, pipe transport into autoreply'),
      exim.row('nodezero', 'exim, pipe transport into node -e 0'),
      ...(BEFORE ? [exim.row('pipedbefore', 'before: exim, pipe transport into autoreply')] : []),
    ];
    const byKey = summarise('exim', rows, await runPlan(rows), {
      refs: Object.fromEntries(['builtin', 'piped', 'nodezero', 'pipedbefore'].map((k) => [k, { key: 'builtin', label: 'built-in' }])),
      targets: { piped: { of: 'ref', max: 1.6 } },
    });
    printRows(byKey, { width: 46, refHeader: 'x built-in' });
    if (BEFORE) printBeforeAfter(byKey, { pipedbefore: 'piped' }, 46);
    print(`  ${exim.verdicts()}`);
  } finally {
    exim.cleanup();
  }
}
print();

// ---- 4. peers ----------------------------------------------------------------------------
print('4. Peers on the same 2 KB message (with a From_ line), replying and suppressed');
await peers();
print();

// ---- 5. the once database at scale ----------------------------------------------------------------
const onceBench = join(ROOT, 'scripts/bench-once.mjs');
if (argv.includes('--no-once')) {
  print('5. once database at 1M entries: skipped (--no-once)');
} else {
  print('5. once database at scale: scripts/bench-once.mjs (in-process: the store bundled from src/, each backend)');
  const onceJson = join(work, 'once.json');
  const pass = ['entries', 'samples', 'fill-budget'].flatMap((o) => (option(o) !== undefined ? [`--${o}=${option(o)}`] : []));
  // it uses this run's servers (tables and prefixes of its own), or says why a backend is skipped
  if (servers.postgres.server) pass.push(`--pg-url=${servers.postgres.server.url()}`);
  if (servers.redis.server) pass.push(`--redis-url=${servers.redis.server.url()}`);
  const r = await runChild(NODE, [onceBench, ...pass, `--json=${onceJson}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of r.stdout.trimEnd().split('\n')) print(line);
  if (r.status !== 0) {
    print(`  bench-once.mjs: exit ${r.status ?? r.signal}`);
    process.exitCode = 1;
  }
  try {
    results.once = JSON.parse(readFileSync(onceJson, 'utf8'));
  } catch {
    // reported above
  }
}
stopServers();
print();

// ---- targets ---------------------------------------------------------------------------------
print('Targets (SPEC 9 and issue 12; a FAIL is reported, not an error)');
for (const t of results.targets) print(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.row}: ${t.value.toFixed(3)}x, target ${t.target}`);
const elapsed = (Date.now() - started) / 1000;
results.elapsedS = Math.round(elapsed);
results.loadAverageAtEnd = loadavg()[0];
print(`(bench took ${Math.floor(elapsed / 60)} min ${Math.round(elapsed % 60)} s; load average now ${loadavg()[0].toFixed(2)})`);

if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
else if (jsonToStdout) process.stdout.write(JSON.stringify(results, null, 2) + '\n');

// ---- peers -------------------------------------------------------------------------------
/**
 * Debian's vacation(1) and Courier's mailbot, replying and suppressed, beside
 * autoreply doing the same (its own database) and node -e 0. vacation submits
 * through /usr/sbin/sendmail only: the table is measured by run-plan.mjs in a
 * private mount namespace where that path is a stand-in (unshare -m, as root).
 * Without one, vacation's replying row is left out (it would send real mail).
 */
async function peers() {
  const vacation = ['/usr/bin/vacation'].find((p) => existsSync(p));
  const mailbot = ['/usr/bin/mailbot'].find((p) => existsSync(p));
  const rows = [
    nodeRow(fixedFrom),
    autoreplyRow({ key: 'ar-reply', name: 'autoreply: reply sent (LMDB)', once: lmdb('peers-once'), input: (i) => freshFrom[i], expect: 'sent' }),
    autoreplyRow({ key: 'ar-suppressed', name: 'autoreply: suppressed by once (LMDB)', once: lmdb('peers-once'), input: () => fixedFrom, answered: fixedFrom, expect: 'none' }),
  ];
  const notes = [];
  // Where vacation can reply into a stand-in (see run-plan.mjs); elsewhere only its suppressed row runs.
  const privateMounts = existsSync('/usr/sbin/sendmail') && spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'true']).status === 0;
  const vsm = standIn('vacation');
  if (!vacation) notes.push('vacation: skipped: not installed (apt-get install vacation)');
  else {
    const dir = join(work, 'vacation');
    mkdirSync(dir);
    const msg = join(dir, 'msg');
    writeFileSync(msg, 'From: Bob Example <bob@example.com>\nSubject: Re: $SUBJECT\n\nI am away this week.\n');
    const db = join(dir, 'db');
    const exclude = join(dir, 'answered');
    writeFileSync(exclude, `${senders.get(fixedFrom)}\n`);
    // -z: the reply's envelope sender is <>, as autoreply's; -a bob: bob is in To:
    const cmd = [vacation, '-z', '-a', 'bob', '-f', db, '-m', msg, userInfo().username];
    const init = { argv: [vacation, '-i', '-f', db], input: fixedFrom };
    if (privateMounts) {
      rows.push({ key: 'vacation-reply', name: 'vacation (Debian, C): reply sent', runs: freshFrom.map((input) => ({ argv: cmd, input })), setup: [init], outbox: vsm.outbox, expect: 'sent' });
    } else {
      notes.push('vacation: reply sent: skipped: no private mount namespace (unshare -m, root) to give it a stand-in /usr/sbin/sendmail');
    }
    rows.push({
      key: 'vacation-suppressed',
      name: 'vacation: suppressed (sender already answered)',
      runs: freshFrom.map(() => ({ argv: cmd, input: fixedFrom })),
      // answered once for real into the stand-in; without one, the sender is entered with -x (never answered)
      setup: privateMounts ? [{ argv: cmd, input: fixedFrom }] : [init, { argv: [vacation, '-x', '-f', db], input: exclude }],
      outbox: vsm.outbox,
      expect: 'none',
    });
  }
  if (!mailbot) notes.push('mailbot: skipped: not installed (apt-get install maildrop)');
  else {
    const msm = standIn('mailbot');
    const text = join(work, 'mailbot-reply.txt');
    writeFileSync(text, 'I am away this week.\n');
    // -d: its database of senders answered (GDBM), -D 1: once a day; -N: no quoted
    // original, so that the reply is like autoreply's; the stand-in as its sendmail
    const cmd = [mailbot, '-t', text, '-d', join(work, 'mailbot-db'), '-D', '1', '-N', '-A', 'From: Bob Example <bob@example.com>', msm.path, '-f', ''];
    rows.push({ key: 'mailbot-reply', name: 'mailbot (Courier maildrop, C++): reply sent', runs: freshFrom.map((input) => ({ argv: cmd, input })), outbox: msm.outbox, expect: 'sent' });
    rows.push({
      key: 'mailbot-suppressed',
      name: 'mailbot: suppressed (sender already answered)',
      runs: freshFrom.map(() => ({ argv: cmd, input: fixedFrom })),
      setup: [{ argv: cmd, input: fixedFrom }],
      outbox: msm.outbox,
      expect: 'none',
    });
  }

  let measured;
  if (vacation && privateMounts) {
    const planFile = join(work, 'peers-plan.json');
    const resultFile = join(work, 'peers-result.json');
    writeFileSync(planFile, JSON.stringify(rows));
    const r = await runChild('unshare', ['--mount', '--propagation', 'private', '--', NODE, join(ROOT, 'scripts/bench/run-plan.mjs'), planFile, resultFile, '--bind', `${vsm.path}:/usr/sbin/sendmail`], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    if (r.status === 0) measured = JSON.parse(readFileSync(resultFile, 'utf8'));
    else {
      const why = (r.error?.message ?? r.stderr).trim().split('\n').pop();
      measured = rows.map((row) => ({ name: row.name, ms: [], kb: [], error: `the peers' table could not be measured in a private mount namespace: ${why}` }));
    }
  } else {
    measured = await runPlan(rows);
  }
  const refs = {};
  for (const r of rows) {
    if (r.key.endsWith('-reply') && r.key !== 'ar-reply') refs[r.key] = { key: 'ar-reply', label: 'autoreply' };
    if (r.key.endsWith('-suppressed') && r.key !== 'ar-suppressed') refs[r.key] = { key: 'ar-suppressed', label: 'autoreply' };
  }
  const byKey = summarise('peers', rows, measured, { refs });
  printRows(byKey, { width: 46, refHeader: 'x autoreply' });
  for (const n of notes) print(`  ${n}`);
}

// ---- Exim ------------------------------------------------------------------------------
function eximUnavailable() {
  if (process.getuid?.() !== 0) return 'needs root (a private Exim configuration must be trusted)';
  if (!existsSync('/usr/sbin/exim')) return 'exim is not installed (apt-get install exim4-daemon-light)';
  if (!existsSync('/etc/exim4')) return 'no /etc/exim4';
  return undefined;
}

/**
 * A private Exim configuration (trusted for the run through
 * /etc/exim4/trusted_configs, restored afterwards): one local part per way of
 * answering. Exim runs each delivery in the foreground (-odi).
 */
function eximWorld() {
  const dir = join(work, 'exim');
  for (const d of ['spool', 'log', 'state']) mkdirSync(join(dir, d), { recursive: true });
  spawnSync('chown', ['Debian-exim:', join(dir, 'spool'), join(dir, 'log')]);
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'state'), 0o777); // the transports run as nobody
  const state = join(dir, 'state');
  // Exim's autoreply submits by running exim_path -t: a stand-in then, the real
  // Exim for anything else it runs itself for.
  const builtinOut = join(work, 'outbox-exim-builtin');
  writeFileSync(builtinOut, '');
  chmodSync(builtinOut, 0o666);
  const submit = join(dir, 'submit');
  writeFileSync(submit, `#!/bin/sh\ncase " $* " in *" -t "*) exec cat >> ${builtinOut} ;; esac\nexec /usr/sbin/exim "$@"\n`);
  chmodSync(submit, 0o755);
  const options = `to = $reply_address\n  subject = Re: $h_subject:\n  text = I am away this week.\\n\n  once = ${state}/once-builtin\n  once_repeat = 7d`;
  // autoreply reads the very same option lines from its --config file
  const piped = {};
  for (const [name, bin] of [['piped', BIN], ...(BEFORE ? [['pipedbefore', BEFORE_BIN]] : [])]) {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, `${options.replace(/\n  /g, '\n').replace('once-builtin', `once-${name}`)}\n`);
    const sm = standIn(`exim-${name}`);
    piped[name] = { command: `${NODE} ${bin} --config ${conf} --sendmail ${sm.path}`, outbox: sm.outbox };
  }
  const pipeTransport = (name, command) => `${name}:\n  driver = pipe\n  user = nobody\n  command = ${command}\n  return_fail_output\n`;
  const localParts = ['builtin', 'nodezero', ...Object.keys(piped)];
  const conf = join(dir, 'exim.conf');
  writeFileSync(
    conf,
    `primary_hostname = mail.example.com
qualify_domain = example.com
domainlist local_domains = example.com
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
exim_path = ${submit}
trusted_users = root
keep_environment =

begin routers
${localParts.map((p) => `${p}:\n  driver = accept\n  local_parts = ${p}\n  transport = ${p}\n`).join('')}
begin transports
builtin:
  driver = autoreply
  user = nobody
  ${options}
${pipeTransport('nodezero', `${NODE} -e 0`)}${Object.entries(piped)
      .map(([name, p]) => pipeTransport(name, p.command))
      .join('')}
begin retry
*   *   F,1h,10m
`,
  );
  chmodSync(conf, 0o644);
  // Trusted for the run; afterwards only our line goes (the tests may add theirs meanwhile).
  const TRUSTED = '/etc/exim4/trusted_configs';
  const existed = existsSync(TRUSTED);
  const current = () => (existsSync(TRUSTED) ? readFileSync(TRUSTED, 'utf8') : '');
  writeFileSync(TRUSTED, current().replace(/([^\n])$/, '$1\n') + conf + '\n');
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    const rest = current().split('\n').filter((l) => l !== conf).join('\n');
    if (!existed && rest.trim() === '') rmSync(TRUSTED, { force: true });
    else writeFileSync(TRUSTED, rest);
  };
  process.on('exit', restore);
  const outboxes = { builtin: builtinOut, ...Object.fromEntries(Object.entries(piped).map(([k, p]) => [k, p.outbox])) };
  return {
    row(localPart, name) {
      // addressed to the local part in To: (else autoreply's not-personal rule refuses, rightly)
      const to = (s) => s.replace('To: Bob Example <bob@example.com>', `To: Bob Example <${localPart}@example.com>`).slice(0, 2048);
      const inputs = Array.from({ length: EXIM_RUNS }, (_, i) => writeMessage(`exim-${localPart}-${i}.eml`, `alice${i}@example.org`, { edit: to }));
      return {
        key: localPart,
        name,
        runs: inputs.map((input) => ({ argv: ['/usr/sbin/exim', '-C', conf, '-odi', '-oi', '-f', senders.get(input), `${localPart}@example.com`], input })),
        ...(outboxes[localPart] ? { outbox: outboxes[localPart], expect: 'sent' } : {}),
      };
    },
    /** What Exim's main log says of the deliveries: every one must have succeeded. */
    verdicts() {
      const log = readFileSync(join(dir, 'log/mainlog'), 'utf8');
      const done = log.match(/ => /g)?.length ?? 0;
      const bad = log.split('\n').filter((l) => / (\*\*|==) /.test(l));
      if (bad.length > 0) process.exitCode = 1;
      return bad.length === 0 ? `(Exim's log: ${done} deliveries, all succeeded; every autoreply run submitted its reply)` : `FAILED deliveries, e.g.: ${bad[0]}`;
    },
    cleanup: restore,
  };
}

/**
 * A long child (bench-once.mjs, the peers' table) started without blocking, so
 * that a signal to this process is handled meanwhile: the child is then ended too.
 * Resolves to { status, signal, stdout, stderr, error }.
 */
function runChild(file, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(file, args, options);
    const kill = () => child.kill('SIGTERM');
    process.on('exit', kill);
    const chunks = { stdout: [], stderr: [] };
    child.stdout?.on('data', (d) => chunks.stdout.push(d));
    child.stderr?.on('data', (d) => chunks.stderr.push(d));
    let error;
    child.on('error', (e) => (error = e));
    child.on('close', (status, signal) => {
      process.off('exit', kill);
      resolvePromise({ status, signal, error, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() });
    });
  });
}

function gitDescribe(dir) {
  const r = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout?.trim();
  return r.status === 0 ? `${r.stdout.trim().slice(0, 60)}${dirty ? ', with uncommitted changes' : ''}` : 'not a git checkout';
}
