#!/usr/bin/env node
// npm run bench: what one delivery costs, side by side with `node -e 0` and peers.
//
//   node scripts/bench.mjs [--runs N]      (default 21; every figure is a median)
//
// Every command runs with an emptied environment (`env -i PATH=...`, as Exim's pipe
// transport runs commands: an inherited NODE_EXTRA_CA_CERTS alone makes node
// slower), stdin from a file, stdout/stderr discarded, and the rows of a table are
// measured in turns (run 1 of every row, then run 2, ...) so that load on the machine
// falls on all of them alike. Wall-clock time of the whole process.
//
// Rows: node -e 0; autoreply on a 2 KB message (reply sent: check and record in
// the once database, submit to a stand-in; suppressed by once; suppressed by a
// safety rule; --exim-strict); 100 MB message (time, drain rate, peak RSS; needs
// GNU time for RSS); real Exim delivering one message through its built-in
// autoreply transport vs through a pipe transport into autoreply (needs exim and
// root); Debian's vacation(1) on the same message (when installed).
// Then scripts/bench-once.mjs (the once database at 1M entries), when it exists.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/autoreply');
const NODE = process.execPath;
const PATH = '/usr/local/bin:/usr/bin:/bin';
const argv = process.argv.slice(2);
const RUNS = Number(argv[argv.indexOf('--runs') + 1] || 0) || 21;

const work = mkdtempSync(join(tmpdir(), 'autoreply-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// ---- inputs ------------------------------------------------------------------
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
/** A fresh 2 KB message file from a new sender (a new once key) for each run. */
let serial = 0;
const freshMessage = () => {
  const file = join(work, `msg-${++serial}.eml`);
  writeFileSync(file, message2k(`alice${serial}@example.org`));
  return file;
};
const fixedMessage = join(work, 'fixed.eml');
writeFileSync(fixedMessage, message2k('alice@example.org'));

const BIG_MB = 100;
const bigMessage = join(work, 'big.eml');
{
  const fd = openSync(bigMessage, 'w');
  const head = HEADER('alice@example.org');
  writeFileSync(fd, head);
  const block = Buffer.from(LINE.repeat(Math.floor((1 << 20) / LINE.length)));
  let written = head.length;
  while (written + block.length <= BIG_MB * 1024 * 1024) written += writeFileSync(fd, block) ?? block.length;
  closeSync(fd);
}

// The submission stand-in: reads the reply and exits 0 (as fast as a shell can).
const sendmail = join(work, 'sendmail');
writeFileSync(sendmail, '#!/bin/sh\nexec cat > /dev/null\n');
chmodSync(sendmail, 0o755);

// ---- measuring -------------------------------------------------------------------
const GNU_TIME = ['/usr/bin/time'].find((p) => spawnSync(p, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0);

/** One run: wall ms, peak RSS (KB, with GNU time), exit status. */
function runOnce(cmd, input, { rss = false } = {}) {
  const fd = openSync(input, 'r');
  const full = rss && GNU_TIME ? [GNU_TIME, '-f', '%M', ...cmd] : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('env', ['-i', `PATH=${PATH}`, ...full], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  const lines = r.stderr.trim().split('\n');
  const kb = rss && GNU_TIME ? Number(lines.pop()) : undefined;
  return { ms, kb, status: r.status, stderr: lines.join('\n') };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Measure rows in turns; each row: { name, cmd, input: () => file, setup?, ok?: status => bool }. */
function measure(rows, runs, opts = {}) {
  const samples = rows.map(() => ({ ms: [], kb: [] }));
  for (const row of rows) row.setup?.();
  for (let i = 0; i < runs; i++) {
    rows.forEach((row, j) => {
      const input = row.input(); // first: a row's command may depend on its input
      const r = runOnce(row.cmd, input, opts);
      const ok = row.ok ? row.ok(r.status) : r.status === 0;
      if (!ok) throw new Error(`${row.name}: exit ${r.status}: ${r.stderr}`);
      samples[j].ms.push(r.ms);
      if (r.kb !== undefined) samples[j].kb.push(r.kb);
    });
  }
  return rows.map((row, j) => ({ name: row.name, ms: median(samples[j].ms), kb: samples[j].kb.length ? median(samples[j].kb) : undefined }));
}

// ---- the rows ------------------------------------------------------------------------
const reply = ['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'I am away this week.\n', '--sendmail', sendmail];
const envelope = (input) => ['--sender', readFileSync(input, 'latin1').match(/^From: .*<(.*)>/m)[1], '--recipient', 'bob@example.com'];
const once = join(work, 'once');
const autoreply = (extra, inputFn) => {
  let current;
  return {
    input: () => (current = inputFn()),
    get cmd() {
      return [NODE, BIN, ...envelope(current), ...reply, ...extra];
    },
  };
};
function row(name, extra, inputFn, more = {}) {
  const a = autoreply(extra, inputFn);
  return { name, input: a.input, get cmd() { return a.cmd; }, ...more };
}

const out = [];
const print = (line = '') => {
  out.push(line);
  console.log(line);
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

print(`autoreply bench: node ${process.version}, ${RUNS} runs per row, medians; load average ${loadavg()[0].toFixed(2)}`);
print(`(every command under env -i PATH=${PATH}; stdin from a file)`);
print();

// Start-up rows: 2 KB message.
const startRows = [
  { name: 'node -e 0', cmd: [NODE, '-e', '0'], input: () => fixedMessage },
  row('autoreply: reply sent (once: new key, recorded; submitted)', ['--once', once], freshMessage),
  row('autoreply: suppressed by once (key already recorded)', ['--once', once], () => fixedMessage, {
    setup: () => runOnce([NODE, BIN, ...envelope(fixedMessage), ...reply, '--once', once], fixedMessage),
  }),
  row('autoreply: suppressed by a safety rule (precedence: bulk)', ['--once', once], () => {
    const file = join(work, 'bulk.eml');
    if (!existsSync(file)) writeFileSync(file, message2k('news@example.org').replace('MIME-Version', 'Precedence: bulk\nMIME-Version'));
    return file;
  }),
  row('autoreply --exim-strict: reply sent (once)', ['--exim-strict', '--once', join(work, 'once-strict')], freshMessage),
];
const start = measure(startRows, RUNS);
const base = start[0].ms;
print('2 KB message                                                   time   x node -e 0');
for (const r of start) print(`  ${r.name.padEnd(58)} ${fmt(r.ms).padStart(9)}   ${(r.ms / base).toFixed(2)}x`);
print();

// 100 MB rows: time, drain rate, peak RSS.
const bigRuns = Math.max(3, Math.ceil(RUNS / 4));
const bigRows = [
  row('2 KB, reply sent (reference for RSS)', [], () => fixedMessage),
  row(`${BIG_MB} MB, reply sent`, [], () => bigMessage),
  row(`${BIG_MB} MB, reply sent with return_message`, ['--return-message', 'true'], () => bigMessage),
];
const big = measure(bigRows, bigRuns, { rss: true });
print(`${BIG_MB} MB message (${bigRuns} runs)                               time   drain rate   peak RSS`);
for (const r of big) {
  const rate = r.name.startsWith('2 KB') ? '' : `${((BIG_MB * 1.048576) / (r.ms / 1000)).toFixed(0)} MB/s`;
  const rss = r.kb === undefined ? 'n/a (no GNU time)' : `${(r.kb / 1024).toFixed(1)} MB`;
  print(`  ${r.name.padEnd(50)} ${fmt(r.ms).padStart(10)} ${rate.padStart(12)}   ${rss}`);
}
if (big[0].kb !== undefined) print(`  peak RSS over the 2 KB case: ${((Math.max(big[1].kb, big[2].kb) - big[0].kb) / 1024).toFixed(1)} MB`);
print();

// Real Exim: built-in autoreply transport vs a pipe transport into autoreply.
print('Exim, one delivery (exim -odi: reception, routing, transport, reply submitted)');
const eximSkip = eximUnavailable();
if (eximSkip) {
  print(`  skipped: ${eximSkip}`);
} else {
  const exim = eximWorld();
  try {
    const rows = [
      { name: 'node -e 0', cmd: [NODE, '-e', '0'], input: () => fixedMessage },
      exim.row('exim, built-in autoreply transport', 'builtin'),
      exim.row('exim, pipe transport into autoreply', 'piped'),
      exim.row('exim, pipe transport into node -e 0', 'nodezero'),
    ];
    const r = measure(rows, RUNS);
    const builtin = r[1].ms;
    print(`  ${''.padEnd(44)}       time   x node -e 0   x built-in`);
    for (const x of r) print(`  ${x.name.padEnd(44)} ${fmt(x.ms).padStart(10)}   ${(x.ms / r[0].ms).toFixed(2).padStart(8)}x   ${(x.ms / builtin).toFixed(2).padStart(8)}x`);
    print(`  ${exim.verdicts()}`);
  } finally {
    exim.cleanup();
  }
}
print();

// Debian's vacation(1) on the same message. It submits through /usr/sbin/sendmail
// (no way to name a stand-in), so both sides are measured on a sender they have
// already answered: read the message, look the sender up, send nothing.
print('vacation(1) on the same 2 KB message (with a From_ line), sender already answered');
const vacation = ['/usr/bin/vacation'].find((p) => existsSync(p));
if (!vacation) {
  print('  skipped: vacation is not installed (apt-get install vacation)');
} else {
  const vdir = join(work, 'vacation');
  spawnSync('mkdir', ['-p', vdir]);
  writeFileSync(join(vdir, 'msg'), 'Subject: away\n\nI am away this week.\n');
  spawnSync(vacation, ['-x', '-f', join(vdir, 'db'), userInfo().username], { input: 'alice@example.org\n' });
  const withFrom = join(work, 'fixed-from.eml');
  writeFileSync(withFrom, `From alice@example.org Mon Nov 17 10:00:00 2025\n${readFileSync(fixedMessage, 'latin1')}`);
  const rows = [
    { name: 'node -e 0', cmd: [NODE, '-e', '0'], input: () => withFrom },
    { name: 'vacation (Debian, C)', cmd: [vacation, '-a', 'bob', '-f', join(vdir, 'db'), '-m', join(vdir, 'msg'), userInfo().username], input: () => withFrom },
    row('autoreply: suppressed by once', ['--once', once], () => withFrom),
  ];
  const r = measure(rows, RUNS);
  for (const x of r) print(`  ${x.name.padEnd(44)} ${fmt(x.ms).padStart(10)}   ${(x.ms / r[0].ms).toFixed(2)}x node -e 0`);
}
print();

// The once database at scale (another engineer's script): run it when present.
const onceBench = join(ROOT, 'scripts/bench-once.mjs');
if (existsSync(onceBench) && !argv.includes("--no-once")) {
  print('scripts/bench-once.mjs:');
  const r = spawnSync(NODE, [onceBench, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
} else {
  print(`once database at 1M entries: skipped (${existsSync(onceBench) ? '--no-once' : 'scripts/bench-once.mjs is not there'})`);
}

// ---- Exim ------------------------------------------------------------------------
function eximUnavailable() {
  if (process.getuid?.() !== 0) return 'needs root (a private Exim configuration must be trusted)';
  if (!existsSync('/usr/sbin/exim')) return 'exim is not installed (apt-get install exim4-daemon-light)';
  if (!existsSync('/etc/exim4/trusted_configs') && !existsSync('/etc/exim4')) return 'no /etc/exim4';
  return undefined;
}

/** A private Exim configuration: three local parts, one per way of answering. */
function eximWorld() {
  const dir = join(work, 'exim');
  for (const d of ['spool', 'log', 'state']) spawnSync('mkdir', ['-p', join(dir, d)]);
  spawnSync('chown', ['Debian-exim:', join(dir, 'spool'), join(dir, 'log')]);
  spawnSync('chmod', ['755', work, dir]);
  spawnSync('chmod', ['777', join(dir, 'state')]); // the transports run as nobody
  const state = join(dir, 'state');
  // Exim's autoreply submits by running exim_path -t: the same stand-in as ours.
  const submit = join(dir, 'submit');
  writeFileSync(submit, `#!/bin/sh\ncase " $* " in *" -t "*) exec cat > /dev/null ;; esac\nexec /usr/sbin/exim "$@"\n`);
  chmodSync(submit, 0o755);
  const options = `to = $reply_address\n  subject = Re: $h_subject:\n  text = I am away this week.\\n\n  once = ${state}/once-builtin\n  once_repeat = 7d`;
  // autoreply reads the very same option lines from its --config file
  const arConf = join(dir, 'autoreply.conf');
  writeFileSync(arConf, `${options.replace(/\n  /g, '\n').replace('once-builtin', 'once-piped')}\n`);
  const ar = `${NODE} ${BIN} --config ${arConf} --sendmail ${submit}`;
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
builtin:
  driver = accept
  local_parts = builtin
  transport = builtin
piped:
  driver = accept
  local_parts = piped
  transport = piped
nodezero:
  driver = accept
  local_parts = nodezero
  transport = nodezero

begin transports
builtin:
  driver = autoreply
  user = nobody
  ${options}
piped:
  driver = pipe
  user = nobody
  command = ${ar}
  return_fail_output
nodezero:
  driver = pipe
  user = nobody
  command = ${NODE} -e 0

begin retry
*   *   F,1h,10m
`,
  );
  chmodSync(conf, 0o644);
  const TRUSTED = '/etc/exim4/trusted_configs';
  const before = existsSync(TRUSTED) ? readFileSync(TRUSTED, 'utf8') : undefined;
  writeFileSync(TRUSTED, (before && !before.endsWith('\n') ? before + '\n' : before ?? '') + conf + '\n');
  return {
    row(name, localPart) {
      let current;
      return {
        name,
        input: () => (current = freshMessage()),
        get cmd() {
          const sender = readFileSync(current, 'latin1').match(/^From: .*<(.*)>/m)[1];
          return ['/usr/sbin/exim', '-C', conf, '-odi', '-oi', '-f', sender, `${localPart}@example.com`];
        },
      };
    },
    /** What Exim's main log says of the deliveries: every one must have succeeded. */
    verdicts() {
      const log = readFileSync(join(dir, 'log/mainlog'), 'utf8');
      const done = log.match(/ => /g)?.length ?? 0;
      const bad = log.split('\n').filter((l) => / (\*\*|==) /.test(l));
      if (bad.length > 0) process.exitCode = 1;
      return bad.length === 0 ? `(Exim's log: ${done} deliveries, all succeeded)` : `FAILED deliveries, e.g.: ${bad[0]}`;
    },
    cleanup() {
      if (before === undefined) rmSync(TRUSTED, { force: true });
      else writeFileSync(TRUSTED, before);
    },
  };
}
