#!/usr/bin/env node
// Race stress for the once database: many bursts of concurrent deliveries, each
// burst N real processes for one sender started at once, and counts bursts in
// which more (or fewer) than one reply was submitted.
//
//   npm run stress                         # 300 bursts of 50 via bin/autoreply, half on a new database
//   node scripts/stress.mjs --bursts 40 --procs 50 --fresh-ratio 0.5
//   node scripts/stress.mjs --driver store # same, but each process calls the once store directly
//                                          # (src/once bundled with esbuild; no CLI needed)
//
// Exit status: 0 when every burst submitted exactly one reply, 1 otherwise.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const bursts = Number(opt('bursts', 300));
const procs = Number(opt('procs', 50));
const freshRatio = Number(opt('fresh-ratio', 0.5));
const driver = opt('driver', 'cli');
const quiet = args.includes('--quiet');

const work = mkdtempSync(join(tmpdir(), 'autoreply-stress-'));
const sendmail = join(work, 'sendmail');
// The submission program: appends one line per call (O_APPEND, one write).
writeFileSync(
  sendmail,
  `#!/bin/sh\ncat > /dev/null\necho "$$" >> "$STRESS_OUT"\nexit 0\n`,
);
chmodSync(sendmail, 0o755);
const message = 'From: Alice <alice@example.org>\nTo: bob@example.com\nSubject: hello\nMessage-ID: <m1@example.org>\n\nhi\n';

let command;
if (driver === 'store') {
  const cacheDir = join(root, 'node_modules', '.cache', 'autoreply-stress');
  mkdirSync(cacheDir, { recursive: true });
  const entry = join(cacheDir, 'child.ts');
  writeFileSync(
    entry,
    `import { openOnceStore } from ${JSON.stringify(join(root, 'src/once/lmdb-store.ts'))};
import { appendFileSync } from 'node:fs';
const [path, key] = process.argv.slice(2);
try {
  const s = await openOnceStore(path, 0o600);
  const d = await s.checkAndRecord({ key, repeatMs: 0, now: Date.now(), maxBytes: 0 });
  await s.close();
  if (d.send) appendFileSync(process.env.STRESS_OUT, process.pid + '\\n');
} catch (e) { process.stderr.write(String(e && e.message) + '\\n'); process.exitCode = e && e.exitCode ? e.exitCode : 70; }
`,
  );
  const { build } = await import('esbuild');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(cacheDir, 'child.mjs'), logLevel: 'warning' });
  command = (db, sender) => [process.execPath, [join(cacheDir, 'child.mjs'), db, sender]];
} else {
  const bin = join(root, 'bin', 'autoreply');
  if (!existsSync(bin)) {
    console.error('bin/autoreply not found; use --driver store');
    process.exit(2);
  }
  command = (db, sender) => [
    process.execPath,
    [bin, '--once', db, '--to', sender, '--text', 'hi', '--sendmail', sendmail, '--sender', sender, '--recipient', 'bob@example.com'],
  ];
}

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { stdio: ['pipe', 'ignore', 'pipe'], env });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => resolve({ code, err }));
    c.stdin.on('error', () => {});
    c.stdin.end(message);
  });
}

let dup = 0;
let none = 0;
let failedProcs = 0;
const errors = new Map();
const t0 = Date.now();
for (let b = 0; b < bursts; b++) {
  const fresh = b < Math.round(bursts * freshRatio);
  const dir = join(work, `b${b}`);
  mkdirSync(dir);
  const db = join(dir, 'once.db');
  const out = join(dir, 'submitted');
  const env = { ...process.env, STRESS_OUT: out, AUTOREPLY_ONCE_LOCK_TIMEOUT: '120' };
  const sender = 'alice@example.org';
  if (!fresh) {
    // An existing database holding other entries (not this sender).
    const [c, a] = command(db, 'someone-else@example.net');
    await run(c, a, { ...env, STRESS_OUT: join(dir, 'warmup') });
  }
  const [c, a] = command(db, sender);
  const results = await Promise.all(Array.from({ length: procs }, () => run(c, a, env)));
  for (const r of results) {
    if (r.code !== 0) {
      failedProcs++;
      const line = r.err.trim().split('\n')[0] || `exit ${r.code}`;
      errors.set(line, (errors.get(line) ?? 0) + 1);
    }
  }
  const n = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).length : 0;
  if (n > 1) dup++;
  if (n === 0) none++;
  if (!quiet && (n !== 1 || (b + 1) % 25 === 0))
    console.log(`burst ${b + 1}/${bursts} (${fresh ? 'new' : 'existing'} db): ${n} repl${n === 1 ? 'y' : 'ies'}`);
  rmSync(dir, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });
const summary = {
  driver,
  bursts,
  processesPerBurst: procs,
  burstsOnNewDatabase: Math.round(bursts * freshRatio),
  burstsWithDuplicates: dup,
  burstsWithNoReply: none,
  failedProcesses: failedProcs,
  errors: Object.fromEntries(errors),
  seconds: Math.round((Date.now() - t0) / 1000),
};
console.log(JSON.stringify(summary, null, 2));
process.exitCode = dup === 0 && none === 0 && failedProcs === 0 ? 0 : 1;
