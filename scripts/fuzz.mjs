#!/usr/bin/env node
// autoreply fuzzer (not part of `npm test`).
//
//   npm run fuzz                          # 20,000 cases, 2 at a time, a fresh random seed
//   node scripts/fuzz.mjs --runs 500 --seed 42
//   node scripts/fuzz.mjs --only expansion --runs 2000
//   node scripts/fuzz.mjs --only message:longRun --runs 50     # one mutator (messages.mjs) or expansion
//                                                              # generator (cases.mjs); a wrong name lists them
//   node scripts/fuzz.mjs --seed 42 --case 1234                 # run case 1234 of seed 42 again, alone
//
// Every case is a real `bin/autoreply` process, started as an MTA pipe would:
//   prlimit --as=LIMIT -- /usr/bin/time -f ... env -i PATH=/usr/local/bin:/usr/bin:/bin [VARS] bin/autoreply ARGS < input
// in its own temporary directory (removed afterwards unless the case is a finding), with a
// stand-in submission program there (a shell script that keeps its argv and stdin; some cases
// make it exit 1, 2 or 75, hang, not read, be missing or not executable). Nothing ever reaches
// the real /usr/sbin/sendmail: every transport run names the stand-in with --sendmail.
//
// Kinds of cases (--only KIND; generators in scripts/fuzz/, seeded, see cases.mjs):
//   message    mutated seed messages (scripts/fuzz/seeds/*.eml): byte flips, CR/LF/NUL/8-bit,
//              broken encoded words, duplicated/removed headers, runs of spaces up to 1 MB,
//              deep comment nesting in addresses, truncation, random bytes, ...
//   garbage    random bytes and other non-mail on stdin
//   expansion  random, deeply nested (thousands of levels), unbalanced expansion strings in
//              --text/--subject/--headers/--to/... and --config files; catastrophic regexes
//              against message data; ${readfile} of endless files
//   options    flag combinations: --exim-strict --dry-run --verbose --once --log
//              --return-message --never-mail --alias --reply-file --mailbox ..., once databases
//              in odd states (garbage, corrupt, truncated, a directory, a symlink)
//   commands   autoreply check ... and autoreply once list/show/forget/prune/clear/export/import
//
// Findings (a case can have several):
//   crash-signal, stack-trace, internal-error, bad-exit-code (not 0 64 65 75 78, or 1 for once
//   show/forget), stderr-not-one-line (non-zero exit), over-10s, rss-over-100MB.
// A run is killed at --timeout seconds (default 30; once 4 runs have been killed, later ones at
// --short-timeout, default 12: either way it counts as over 10 s), or when its peak RSS passes
// --mem-cap MB (default 256; an address-space limit of 4 GB backs it up: an allocation failing
// there, "bad_alloc" or "heap out of memory", counts as over the memory cap, not as a crash).
//
// Each finding is saved, up to --keep per distinct problem (default 5), under
//   OUT/<date>-seed-<seed>/<case>/   (OUT: --out, default ./fuzz-findings; OUT/latest links to it)
// with stdin (the input bytes), setup/ (the files of the case: config, reply file, stand-in
// sendmail, once database...; paths written as @CASE@), case.json (argv, environment, kind,
// generator tags), result.json, stderr.txt and repro.sh, which replays it:
//   sh fuzz-findings/latest/c001234/repro.sh        (AUTOREPLY=/other/bin/autoreply to test a fix)
// The run directory also gets findings.jsonl (every finding, saved or not) and summary.txt.
//
// Notes:
// - Cases are generated from (seed, case number) alone, so `--seed S --case N` rebuilds case N
//   exactly; the only other input is what the program offers: SPEC options it lacks (probed
//   with --help) are not generated, and without --submit-timeout a hanging stand-in sendmail
//   then runs into the fuzzer's timeout.
// - Other people may rebuild dist/ during a run: every result records the bundle's build hash
//   ("//# build=..."), and the summary says when more than one build was seen.
// - Time: a run costs what one autoreply process costs (70-300 ms, depending on how busy the
//   machine is) plus ~15 ms of fuzzer; the 20,000-run default took 45-56 min on the 2-core
//   development machine while other work kept its load average between 4 and 40. Slow cases
//   (a timeout, a memory cap) are a handful.
// - Big or deep inputs (1 MB header runs, 8 MB bodies, 30,000 nesting levels) are a few percent
//   of the cases: "big/deep" in the summary.
//
// Options: --runs N (20000)  --seed S  --jobs J (2)  --only KIND[:SUB]  --out DIR
//          --timeout S (30)  --short-timeout S (12; 0 = never shorten)  --mem-cap MB (256)
//          --keep N (5)  --bin PATH (bin/autoreply)  --tmp DIR (os.tmpdir())  --case N  --quiet
//          --log-all FILE (one JSON line per run, findings or not: exit, stderr, time, RSS, tags)
//
// Exit status: 0 no finding, 1 findings, 2 the fuzzer could not run.
// Needs GNU time at /usr/bin/time (Debian: apt-get install time) and util-linux prlimit.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync, renameSync, cpSync, rmSync, symlinkSync, appendFileSync, lstatSync, readdirSync, statSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildCase, KINDS, SUB_GENERATORS } from './fuzz/cases.mjs';
import { runCase, writeFiles, removeDir, killAllRunning, CLEAN_PATH } from './fuzz/runner.mjs';
import { classify, signature, CATEGORIES, CATEGORY_NAMES } from './fuzz/classify.mjs';
import { CASE } from './fuzz/cases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------ arguments
function usage(msg) {
  process.stderr.write(`fuzz: ${msg}\nusage: node scripts/fuzz.mjs [--runs N] [--seed S] [--jobs J] [--only KIND[:SUB]] [--out DIR] [--timeout S] [--short-timeout S] [--mem-cap MB] [--keep N] [--bin PATH] [--tmp DIR] [--case N] [--log-all FILE] [--quiet]\n`);
  process.exit(2);
}
const argv = process.argv.slice(2);
const opts = {};
const VALUED = ['runs', 'seed', 'jobs', 'only', 'out', 'timeout', 'short-timeout', 'mem-cap', 'keep', 'bin', 'tmp', 'case', 'log-all'];
for (let i = 0; i < argv.length; i++) {
  const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]);
  if (!m) usage(`unexpected argument "${argv[i]}"`);
  const [, name, inline] = m;
  if (name === 'help') {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^#!.*\n/, '').replace(/^\/\/ ?/gm, ''));
    process.exit(0);
  }
  if (name === 'quiet') {
    opts.quiet = true;
    continue;
  }
  if (!VALUED.includes(name)) usage(`unknown option --${name}`);
  const v = inline ?? argv[++i];
  if (v === undefined) usage(`--${name} needs a value`);
  opts[name] = v;
}
const int = (name, dflt, min = 0) => {
  if (opts[name] === undefined) return dflt;
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < min) usage(`--${name} takes a whole number >= ${min}`);
  return n;
};
const runs = int('runs', 20000, 1);
const jobs = int('jobs', 2, 1);
const timeoutS = int('timeout', 30, 1);
const shortTimeoutS = int('short-timeout', 12, 0);
const memCapMb = int('mem-cap', 256, 101);
const keep = int('keep', 5, 0);
const onlyCase = opts.case === undefined ? undefined : int('case', 0, 0);
const seed = opts.seed ?? String(Date.now() % 1e9);
let only;
let sub;
if (opts.only) {
  [only, sub] = opts.only.split(':');
  if (!KINDS.includes(only)) usage(`--only: KIND is one of ${KINDS.join(', ')}`);
  if (sub && !SUB_GENERATORS[only]?.includes(sub)) {
    usage(`--only KIND:SUB: ${Object.entries(SUB_GENERATORS).map(([k, v]) => `${k}:{${v.join(',')}}`).join(' ')}`);
  }
}
const bin = resolve(opts.bin ?? join(root, 'bin', 'autoreply'));
const outBase = resolve(opts.out ?? 'fuzz-findings');
const quiet = !!opts.quiet;
const log = (s) => process.stderr.write(`${s}\n`);

// ------------------------------------------------------------------ prerequisites
if (!existsSync(bin)) usage(`${bin} does not exist`);
if (!opts.bin && !existsSync(join(root, 'dist', 'autoreply.cjs'))) usage('dist/ is missing: run "npm run build" first');
try {
  await execa('/usr/bin/time', ['-f', '%M', '-o', '/dev/null', 'true']);
} catch {
  usage('GNU time is needed at /usr/bin/time (Debian: apt-get install time)');
}
let asLimitBytes = Math.max(4096, 8 * memCapMb) * 1024 * 1024; // node alone maps ~1 GB of address space
try {
  await execa('/usr/bin/prlimit', [`--as=${asLimitBytes}`, '--', 'true']);
} catch {
  log('fuzz: /usr/bin/prlimit does not work here; relying on the RSS watchdog alone');
  asLimitBytes = 0;
}

const tmpRoot = mkdtempSync(join(resolve(opts.tmp ?? tmpdir()), 'autoreply-fuzz-'));
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const outDir = join(outBase, `${stamp}-seed-${seed}`);
let outMade = false;
function ensureOut() {
  if (outMade) return;
  mkdirSync(outDir, { recursive: true });
  const latest = join(outBase, 'latest');
  try {
    if (lstatSync(latest, { throwIfNoEntry: false })) rmSync(latest);
    symlinkSync(relative(outBase, outDir), latest);
  } catch {
    // a "latest" link is a convenience
  }
  outMade = true;
}

// A once database with a few entries, copied into the cases that want one (made by the program itself).
async function makeTemplateDb() {
  const dir = join(tmpRoot, 'template-db');
  mkdirSync(dir);
  const lines = [
    { key: 'alice@example.org', lastReply: new Date(Date.now() - 3600e3).toISOString(), count: 2, note: 'fuzz' },
    { key: 'vacation.txt#3f2a9c81d0e4 carol@example.net', lastReply: '2020-01-01T00:00:00Z', count: 1 },
    { key: 'bob@example.com', lastReply: new Date().toISOString(), count: 1 },
  ];
  for (let i = 0; i < 40; i++) lines.push({ key: `user${i}@example.net`, lastReply: new Date(Date.now() - i * 86400e3).toISOString(), count: i + 1 });
  const r = await execa(bin, ['once', 'import', '--once', join(dir, 'db')], {
    input: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
    extendEnv: false,
    env: { PATH: CLEAN_PATH, HOME: dir },
    reject: false,
  });
  if (r.exitCode !== 0 || !existsSync(join(dir, 'db'))) {
    log(`fuzz: could not make a template once database (${r.stderr.trim() || r.exitCode}); cases use fresh ones`);
    return undefined;
  }
  return { db: readFileSync(join(dir, 'db')), lock: existsSync(join(dir, 'db-lock')) ? readFileSync(join(dir, 'db-lock')) : Buffer.alloc(0) };
}

// ------------------------------------------------------------------ findings on disk
const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
/** shell word for a value that may contain @CASE@: the case directory is "$D" in repro.sh */
const shword = (s) => String(s).split(CASE).map(shq).join('"$D"').replace(/^''(?=")|(?<=")''$/g, '') || "''";

function reproScript(c, cats, r) {
  const envWords = Object.entries(c.env).map(([k, v]) => shword(`${k}=${v}`));
  return `#!/bin/sh
# Reproducer for autoreply fuzz case ${c.id} (seed ${seed}, kind ${c.kind}; tags: ${c.tags.join(' ')})
# Found: ${cats.join(', ')} with build ${r.build}   (exit ${r.signal ?? r.exitCode}${r.killedBy ? `, killed by the fuzzer: ${r.killedBy}` : ''}, ${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(r.rssKb / 1024)} MB)
# Replays it: a fresh run/ from setup/ (@CASE@ = this directory), the same argv, environment and stdin.
#   sh repro.sh                               # the program the fuzzer ran
#   AUTOREPLY=/path/to/bin/autoreply sh repro.sh
# run/ is left behind for a look (sendmail.argv and sendmail.stdin of the stand-in, the once
# database, the log); it can be big. Slow ones: run as "timeout 30 sh repro.sh".
set -u
D=$(cd "$(dirname "$0")" && pwd)
AUTOREPLY=\${AUTOREPLY:-${shq(bin)}}
rm -rf "$D/run" && cp -a "$D/setup" "$D/run" || exit 2
LC_ALL=C grep -rlZ --binary-files=text '${CASE}' "$D/run" | xargs -0 -r sed -i "s|${CASE}|$D|g"
cd "$D/run" || exit 2
exec env -i ${envWords.join(' ')} \\
  "$AUTOREPLY" ${c.argv.map(shword).join(' ')} \\
  < "$D/stdin"
`;
}

let savedBytes = 0;
const SAVE_CAP = 2 * 1024 ** 3; // never more than 2 GB of reproducers

function dirSize(p) {
  let n = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const q = join(p, e.name);
    if (e.isDirectory()) n += dirSize(q);
    else if (e.isFile()) n += statSync(q).size;
  }
  return n;
}

function saveFinding(c, caseDir, cats, r) {
  ensureOut();
  const dest = join(outDir, c.id);
  removeDir(join(caseDir, 'run'));
  rmSync(join(caseDir, 'rusage.txt'), { force: true });
  writeFiles(c, join(caseDir, 'setup')); // templated: @CASE@ left in
  const { stdin, files, ...meta } = c;
  writeFileSync(join(caseDir, 'case.json'), JSON.stringify({ ...meta, seed, files: files.map((f) => ({ path: f.path, bytes: f.data?.length, mode: f.mode?.toString(8), dir: f.dir, symlink: f.symlink })), stdinBytes: stdin.length }, null, 2) + '\n');
  writeFileSync(join(caseDir, 'result.json'), JSON.stringify({ categories: cats, ...r }, null, 2) + '\n');
  writeFileSync(join(caseDir, 'stderr.txt'), r.stderr);
  writeFileSync(join(caseDir, 'repro.sh'), reproScript(c, cats, r), { mode: 0o755 });
  savedBytes += dirSize(caseDir);
  try {
    renameSync(caseDir, dest);
  } catch {
    cpSync(caseDir, dest, { recursive: true });
    removeDir(caseDir);
  }
  return join(dest, 'repro.sh');
}

// What the program offers: SPEC options it does not have yet are not generated
// (a hang of the stand-in sendmail then runs into the fuzzer's timeout instead).
async function probeFeatures() {
  const r = await execa(bin, ['--help'], { extendEnv: false, env: { PATH: CLEAN_PATH }, reject: false });
  const help = `${r.stdout}\n${r.stderr}`;
  return { submitTimeout: /--submit[-_]timeout/.test(help) };
}

// The build of the bundle (its last line, "//# build=HASH"): other people may rebuild dist/
// while the fuzzer runs, so each result records the build it ran against.
const bundlePath = join(dirname(dirname(bin)), 'dist', 'autoreply.cjs');
function buildId() {
  let fd;
  try {
    fd = openSync(bundlePath, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, Math.max(0, size - 64));
    return /build=([0-9a-f]+)/.exec(buf.subarray(0, n).toString('latin1'))?.[1] ?? 'unknown';
  } catch {
    return existsSync(dirname(bundlePath)) ? 'missing' : 'n/a';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ------------------------------------------------------------------ the run
const templateDb = await makeTemplateDb();
const features = await probeFeatures();
if (!quiet && !features.submitTimeout) log('fuzz: the program has no --submit-timeout (SPEC section 1): hanging-sendmail cases run without it');
const stats = {
  runs: 0,
  byKind: Object.fromEntries(KINDS.map((k) => [k, { runs: 0, findings: 0, heavy: 0, walls: [], maxWall: 0, maxRss: 0 }])),
  byCategory: Object.fromEntries(CATEGORY_NAMES.map((n) => [n, 0])),
  problems: new Map(), // "category | signature" -> {category, signature, count, saved: [paths], example}
  findingCases: 0,
  fuzzerErrors: 0,
  killed: { timeout: 0, memory: 0 },
  exitCodes: new Map(),
  builds: new Map(),
};
let timeoutMs = timeoutS * 1000;
let stopping = false;
const t0 = Date.now();

async function one(index) {
  let c;
  try {
    c = buildCase(index, seed, { only, sub, templateDb, features });
  } catch (e) {
    log(`fuzz: case ${index}: generator failed: ${e.stack}`);
    process.exitCode = 2;
    return;
  }
  const caseDir = join(tmpRoot, c.id);
  const build = buildId();
  let r;
  try {
    r = await runCase(c, caseDir, { bin, timeoutMs, memCapKb: memCapMb * 1024, asLimitBytes });
    r.build = build;
    stats.builds.set(build, (stats.builds.get(build) ?? 0) + 1);
  } catch (e) {
    // the fuzzer's fault (a case it could not set up), not the program's
    log(`fuzz: case ${c.id}: could not run: ${e.stack}`);
    stats.fuzzerErrors++;
    removeDir(caseDir);
    return;
  }
  if (stopping) {
    // interrupted: the run was killed by us, not a result
    removeDir(caseDir);
    return;
  }
  const cats = classify(c, r);
  if (opts['log-all']) {
    appendFileSync(opts['log-all'], JSON.stringify({ case: c.id, build: r.build, kind: c.kind, tags: c.tags, argv: c.argv.map((x) => (x.length > 200 ? `${x.slice(0, 200)}…` : x)), exit: r.exitCode, signal: r.signal, killedBy: r.killedBy, wallMs: r.wallMs, rssKb: r.rssKb, stdoutBytes: r.stdoutBytes, stderr: r.stderr.slice(0, 300), categories: cats }) + '\n');
  }
  const k = stats.byKind[c.kind];
  stats.runs++;
  k.runs++;
  if (c.heavy) k.heavy++;
  k.walls.push(r.wallMs);
  k.maxWall = Math.max(k.maxWall, r.wallMs);
  k.maxRss = Math.max(k.maxRss, r.rssKb);
  const code = r.signal ?? r.exitCode;
  stats.exitCodes.set(code, (stats.exitCodes.get(code) ?? 0) + 1);
  if (r.killedBy) {
    stats.killed[r.killedBy]++;
    if (r.killedBy === 'timeout' && shortTimeoutS && stats.killed.timeout >= 4 && timeoutMs > shortTimeoutS * 1000) {
      timeoutMs = shortTimeoutS * 1000;
      if (!quiet) log(`fuzz: 4 runs killed at the timeout; from now on runs are killed at ${shortTimeoutS} s`);
    }
  }
  if (!cats.length) {
    removeDir(caseDir);
    return;
  }
  stats.findingCases++;
  k.findings++;
  let save = false;
  const sigs = [];
  for (const cat of cats) {
    stats.byCategory[cat]++;
    const sig = signature(cat, c, r);
    const key = `${cat} | ${sig}`;
    let p = stats.problems.get(key);
    if (!p) stats.problems.set(key, (p = { category: cat, signature: sig, count: 0, saved: [] }));
    p.count++;
    sigs.push(p);
    if (p.saved.length < keep) save = true;
  }
  let where;
  if (save && savedBytes < SAVE_CAP) {
    where = saveFinding(c, caseDir, cats, r);
    for (const p of sigs) if (p.saved.length < keep) p.saved.push(where);
  } else removeDir(caseDir);
  ensureOut();
  appendFileSync(join(outDir, 'findings.jsonl'), JSON.stringify({
    case: c.id, index, kind: c.kind, tags: c.tags, categories: cats, signatures: sigs.map((p) => p.signature),
    exit: r.exitCode, signal: r.signal, killedBy: r.killedBy, wallMs: r.wallMs, rssKb: r.rssKb, build: r.build,
    stderr: r.stderr.slice(0, 600), repro: where,
  }) + '\n');
  if (!quiet) log(`fuzz: ${c.id} ${c.kind}/${c.mainTag}: ${cats.join(', ')} (exit ${r.signal ?? r.exitCode}${r.killedBy ? ` killed:${r.killedBy}` : ''}, ${(r.wallMs / 1000).toFixed(1)} s, ${Math.round(r.rssKb / 1024)} MB)${where ? '' : ' [not saved]'}`);
}

process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  log('\nfuzz: interrupted; finishing the summary (^C again to quit at once)');
  killAllRunning();
});
process.on('exit', () => {
  killAllRunning();
  rmSync(tmpRoot, { recursive: true, force: true });
});

const indices = onlyCase !== undefined ? [onlyCase] : Array.from({ length: runs }, (_, i) => i);
let next = 0;
let lastReport = Date.now();
if (!quiet) log(`fuzz: ${indices.length} cases, seed ${seed}, ${jobs} jobs, ${bin}${only ? `, only ${opts.only}` : ''}`);
async function worker() {
  while (!stopping && next < indices.length) {
    await one(indices[next++]);
    if (!quiet && Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      const el = (Date.now() - t0) / 1000;
      const eta = (el / stats.runs) * (indices.length - stats.runs);
      log(`fuzz: ${stats.runs}/${indices.length} runs, ${(stats.runs / el).toFixed(1)}/s, ${stats.findingCases} findings, ${fmtDur(el)} elapsed, about ${fmtDur(eta)} to go`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, indices.length) }, worker));

// ------------------------------------------------------------------ summary
function fmtDur(s) {
  s = Math.round(s);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
const pct = (arr, p) => {
  if (!arr.length) return 0;
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const elapsedS = (Date.now() - t0) / 1000;
const lines = [];
lines.push(`autoreply fuzz: ${stats.runs} runs in ${fmtDur(elapsedS)} (seed ${seed}, ${jobs} jobs${only ? `, only ${opts.only}` : ''}${stopping ? ', interrupted' : ''})`);
lines.push(`program: ${bin} (build ${[...stats.builds].map(([b, n]) => (stats.builds.size > 1 ? `${b}: ${n} runs` : b)).join(', ')}${stats.builds.size > 1 ? ' -- dist/ was rebuilt during the run' : ''})`);
lines.push('');
lines.push(`${pad('kind', 10)} ${lpad('runs', 6)} ${lpad('big/deep', 8)} ${lpad('findings', 8)} ${lpad('median', 8)} ${lpad('p99', 8)} ${lpad('max', 8)} ${lpad('max RSS', 8)}`);
for (const [kind, k] of Object.entries(stats.byKind)) {
  if (!k.runs) continue;
  lines.push(`${pad(kind, 10)} ${lpad(k.runs, 6)} ${lpad(k.heavy, 8)} ${lpad(k.findings, 8)} ${lpad(`${pct(k.walls, 50)}ms`, 8)} ${lpad(`${pct(k.walls, 99)}ms`, 8)} ${lpad(`${(k.maxWall / 1000).toFixed(1)}s`, 8)} ${lpad(`${Math.round(k.maxRss / 1024)}MB`, 8)}`);
}
lines.push('');
lines.push(`exit codes: ${[...stats.exitCodes].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
lines.push(`killed by the fuzzer: ${stats.killed.timeout} at the timeout, ${stats.killed.memory} at the memory cap`);
if (stats.fuzzerErrors) lines.push(`cases the fuzzer could not set up (its own bugs): ${stats.fuzzerErrors}`);
lines.push('');
lines.push(`${pad('finding category', 22)} ${lpad('runs', 6)}  distinct`);
for (const [name, what] of CATEGORIES) {
  const distinct = [...stats.problems.values()].filter((p) => p.category === name).length;
  lines.push(`${pad(name, 22)} ${lpad(stats.byCategory[name], 6)}  ${lpad(distinct, 8)}   ${what}`);
}
lines.push(`${pad('cases with findings', 22)} ${lpad(stats.findingCases, 6)}`);
if (stats.problems.size) {
  lines.push('');
  lines.push('distinct problems (category, runs, signature, first reproducer):');
  const sorted = [...stats.problems.values()].sort((a, b) => CATEGORY_NAMES.indexOf(a.category) - CATEGORY_NAMES.indexOf(b.category) || b.count - a.count);
  for (const p of sorted) {
    lines.push(`  ${pad(p.category, 20)} ${lpad(p.count, 5)}  ${p.signature}`);
    lines.push(`  ${' '.repeat(27)}${p.saved[0] ? relative(process.cwd(), p.saved[0]) : '(reproducer not saved)'}`);
  }
  lines.push('');
  lines.push(`findings: ${outDir} (findings.jsonl lists every one)`);
}
const summary = lines.join('\n') + '\n';
process.stdout.write(`\n${summary}`);
if (stats.findingCases) {
  ensureOut();
  writeFileSync(join(outDir, 'summary.txt'), summary);
}
if (process.exitCode !== 2) process.exitCode = stats.findingCases ? 1 : 0;
