#!/usr/bin/env node
// Race stress for the once database, on every backend: many bursts of
// concurrent deliveries, each burst N real `bin/autoreply` processes started at
// once for one sender (or a few, --senders), half of them as a second mail host
// (another HOME, another --config file naming the same database — on a private
// server over its Unix socket where the first host uses TCP — with its own
// password file and submission program). It counts the bursts in which a
// sender got more than one reply, the bursts in which one got none, the
// processes that failed, and the bursts whose database does not hold exactly
// one entry per sender after the burst.
//
//   npm run stress                                  # LMDB: 300 bursts of 50, half on a new database file
//   npm run stress -- --backend postgres            # a private PostgreSQL server, started and stopped here
//   npm run stress -- --backend redis               # a private Redis server
//   npm run stress -- --backend all                 # LMDB, PostgreSQL and Redis in turn
//   npm run stress -- --once postgresql://app@db.example/mail --once-password-file pw
//                                                   # a server of yours: nothing is started (see below)
//   node scripts/stress.mjs --bursts 40 --procs 50 --senders 1 --fresh-ratio 0.5 --backend redis
//
// Private servers (--backend postgres|redis) are started exactly as the tests
// start theirs, with test/helpers/servers.ts (bundled here with esbuild): in a
// temporary folder (under /dev/shm when there is one), on 127.0.0.1 at a free
// port and on a Unix socket, with a password; as root PostgreSQL runs as the
// user autoreply-pg. They need Debian's postgresql / redis-server packages
// (nothing of a system instance is used) and are stopped at the end, also on
// Ctrl-C. This is the reproducible way: every run starts from nothing.
//
// "A new database" (the first --fresh-ratio of the bursts): a new LMDB file, a
// new PostgreSQL table (?table=, so the processes also race to create it), a
// new Redis prefix. The other bursts use an existing one: an LMDB file holding
// another sender's entry; on a server, one table/prefix shared by those bursts.
// Every burst answers for its own mailbox (--recipient bob-N@example.com: its
// own scope on a server), so bursts never see each other's entries.
//
// --once URL (a server that is already running: postgresql://, redis://,
// rediss://, redis+unix://): both hosts use that URL as given (its table or
// prefix); the password comes from the URL or --once-password-file. Every
// burst answers for a mailbox of its own, stress-RUN-N@stress.invalid, and the
// entries of those mailboxes are removed at the end; nothing else is touched.
//
// Each process is `node bin/autoreply --config HOST/autoreply.conf --sendmail
// HOST/sendmail --sender S --recipient R [--once-password-file HOST/pw]
// --once-timeout 60` with HOME=HOST (bin/autoreply must be built: npm run build).
// The submission program records "HOST RECIPIENT" for each reply.
//
// Output: a line every 25 bursts and for every burst that went wrong, then a
// JSON summary per backend. Exit status 0 when every burst of every backend
// gave exactly one reply per sender with no failed process, 1 otherwise, 2 for
// a usage error.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'autoreply');

// ---- options ---------------------------------------------------------------------------------

const USAGE = `usage: node scripts/stress.mjs [--backend lmdb|postgres|redis|all | --once URL [--once-password-file FILE]]
       [--bursts 300] [--procs 50] [--senders 1] [--fresh-ratio 0.5] [--quiet]`;
const args = process.argv.slice(2);
const known = new Set(['backend', 'once', 'once-password-file', 'bursts', 'procs', 'senders', 'fresh-ratio']);
const opts = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--quiet') opts.quiet = true;
  else if (a === '--help' || a === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (a.startsWith('--') && known.has(a.slice(2).split('=')[0])) {
    const [name, inline] = a.slice(2).split(/=(.*)/s);
    const v = inline ?? args[++i];
    if (v === undefined) usage(`--${name} needs a value`);
    opts[name] = v;
  } else usage(`unknown argument ${a}`);
}
function usage(why) {
  console.error(`stress: ${why}\n${USAGE}`);
  process.exit(2);
}
const num = (name, dflt, min) => {
  const v = opts[name] === undefined ? dflt : Number(opts[name]);
  if (!Number.isFinite(v) || v < min) usage(`--${name} takes a number (at least ${min})`);
  return v;
};
const bursts = num('bursts', 300, 1);
const procs = num('procs', 50, 1);
const senders = num('senders', 1, 1);
const freshRatio = num('fresh-ratio', 0.5, 0);
if (freshRatio > 1) usage('--fresh-ratio is between 0 and 1');
if (senders > procs) usage('--senders cannot exceed --procs');
if (opts.once && opts.backend) usage('give --backend or --once, not both');
const backends = opts.once ? ['url'] : opts.backend === 'all' ? ['lmdb', 'postgres', 'redis'] : [opts.backend ?? 'lmdb'];
for (const b of backends) if (!['lmdb', 'postgres', 'redis', 'url'].includes(b)) usage(`unknown backend ${b} (lmdb, postgres, redis or all)`);
if (!existsSync(join(root, 'dist'))) {
  console.error('stress: dist/ is missing: run npm run build');
  process.exit(2);
}

// ---- the helpers of the tests, bundled ---------------------------------------------------------

/** test/helpers/servers.ts and the once store, as one ES module (esbuild; packages stay in node_modules). */
async function loadHelpers() {
  const cache = join(root, 'node_modules', '.cache', 'autoreply-stress');
  mkdirSync(cache, { recursive: true });
  // names of this run's own: two runs at once must not read each other's half-written bundle
  const entry = join(cache, `entry-${process.pid}.ts`);
  writeFileSync(
    entry,
    [
      `export { startPostgres, startRedis, skipUnlessPostgres, skipUnlessRedis } from ${JSON.stringify(join(root, 'test/helpers/servers.ts'))};`,
      `export { openOnceStore } from ${JSON.stringify(join(root, 'src/once/open.ts'))};`,
      `export { parseOnceTarget, redactUrl } from ${JSON.stringify(join(root, 'src/once/url.ts'))};`,
      `export { fromText } from ${JSON.stringify(join(root, 'src/bytes.ts'))};`,
      '',
    ].join('\n'),
  );
  const { build } = await import('esbuild');
  const outfile = join(cache, `helpers-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    target: 'node20',
    // lmdb is loaded with require(): give the module one
    banner: { js: "import { createRequire as __stressRequire } from 'node:module'; const require = __stressRequire(import.meta.url);" },
  });
  try {
    return await import(outfile);
  } finally {
    rmSync(entry, { force: true });
    rmSync(outfile, { force: true });
  }
}
const H = await loadHelpers();

// ---- servers and namespaces ---------------------------------------------------------------------

const PASSWORD = 'stress-Pw+1';
const run = `${process.pid}-${Date.now().toString(36)}`;
const work = mkdtempSync(join(tmpdir(), 'autoreply-stress-'));
const servers = [];
const teardown = { teardown: (fn) => servers.push(fn) };
let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const fn of servers.reverse()) {
    try {
      await fn();
    } catch (e) {
      console.error(`stress: stopping a server: ${e.message}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`stress: ${sig}: stopping the servers`);
    stopAll().finally(() => process.exit(130));
  });
}

/**
 * A backend ready for bursts: the `once` value of each host for a namespace, the
 * password the hosts read from their file, how to read (and remove) entries.
 */
async function prepare(backend) {
  if (backend === 'lmdb') {
    const file = (ns) => join(work, 'lmdb', `${ns}.db`);
    mkdirSync(join(work, 'lmdb'));
    return { backend, where: `LMDB files in ${join(work, 'lmdb')}`, onceA: file, onceB: file, password: undefined, readable: file, perBurstNs: true };
  }
  if (backend === 'postgres') {
    const why = H.skipUnlessPostgres();
    if (why) throw new Error(why);
    const pg = await H.startPostgres({ t: teardown });
    await pg.createRole('app', PASSWORD);
    const pw = encodeURIComponent(PASSWORD);
    return {
      backend,
      where: `a private PostgreSQL on 127.0.0.1:${pg.port} (and ${pg.socketDir})`,
      onceA: (ns) => `postgresql://app@127.0.0.1:${pg.port}/postgres?table=${ns}`,
      onceB: (ns) => `postgresql://app@/postgres?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}&table=${ns}`,
      password: PASSWORD,
      readable: (ns) => `postgresql://app:${pw}@127.0.0.1:${pg.port}/postgres?table=${ns}`,
    };
  }
  if (backend === 'redis') {
    const why = H.skipUnlessRedis();
    if (why) throw new Error(why);
    const redis = await H.startRedis({ t: teardown, password: PASSWORD });
    const pw = encodeURIComponent(PASSWORD);
    return {
      backend,
      where: `a private Redis on 127.0.0.1:${redis.port} (and ${redis.socketPath})`,
      onceA: (ns) => `redis://127.0.0.1:${redis.port}?prefix=${ns}:`,
      onceB: (ns) => `redis+unix://${redis.socketPath}?prefix=${ns}:`,
      password: PASSWORD,
      readable: (ns) => `redis://:${pw}@127.0.0.1:${redis.port}?prefix=${ns}:`,
    };
  }
  // --once URL: a server of the user's, used as given
  const url = opts.once;
  const target = H.parseOnceTarget(url);
  if (target.kind === 'lmdb') usage('--once takes a server URL (postgresql://, redis://...); for LMDB use --backend lmdb');
  let password;
  if (opts['once-password-file']) password = readFileSync(opts['once-password-file'], 'utf8').split(/\r?\n/)[0];
  return { backend: target.kind, where: target.where, onceA: () => url, onceB: () => url, password, readable: () => url, userServer: true };
}

/** Open a namespace's store in this process (entries, clean-up). */
async function openStore(b, ns) {
  let passwordFile;
  if (b.password !== undefined && b.userServer) {
    passwordFile = join(work, 'reader-pw');
    writeFileSync(passwordFile, b.password + '\n', { mode: 0o600 });
  }
  return H.openOnceStore(H.fromText(b.readable(ns)), { mode: 0o600, timeoutMs: 60_000, ...(passwordFile ? { passwordFile } : {}) });
}

// ---- hosts and deliveries ---------------------------------------------------------------------------

function makeHost(dir, name, once, out, password) {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const config = join(home, 'autoreply.conf');
  writeFileSync(
    config,
    ['to = $reply_address', 'subject = Re: $h_subject:', 'text = I am away.', `once = ${once}`, 'once_repeat = 7d', ''].join('\n'),
    { mode: 0o600 },
  );
  let passwordFile;
  if (password !== undefined) {
    passwordFile = join(home, 'once-password');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  }
  const sendmail = join(home, 'sendmail');
  // reads the whole reply (autoreply must not see a broken pipe), records its To: (one write, O_APPEND)
  writeFileSync(sendmail, `#!/bin/sh\nto=$(awk '/^[Tt][Oo]:/ && !d { sub(/^[Tt][Oo]:[ \\t]*/, ""); print; d = 1 }')\necho "${name} $to" >> '${out}'\nexit 0\n`);
  chmodSync(sendmail, 0o755);
  return { name, home, config, passwordFile, sendmail };
}

const message = (sender, rcpt, n) =>
  `From: Someone <${sender}>\nTo: ${rcpt}\nSubject: hello ${n}\nMessage-ID: <${n}.${run}@stress.invalid>\n\nhi\n`;

async function deliver(host, sender, rcpt, n) {
  const r = await execa(
    process.execPath,
    [bin, '--config', host.config, '--sendmail', host.sendmail, '--sender', sender, '--recipient', rcpt, '--once-timeout', '60', ...(host.passwordFile ? ['--once-password-file', host.passwordFile] : [])],
    {
      input: message(sender, rcpt, n),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: host.home, TZ: 'UTC', AUTOREPLY_ONCE_LOCK_TIMEOUT: '300' },
      extendEnv: false,
      reject: false,
      timeout: 300_000,
      stdout: 'ignore',
    },
  );
  return { code: r.exitCode, err: String(r.stderr ?? '') || (r.timedOut ? 'killed after 300 s' : r.shortMessage ?? '') };
}

const readLines = (p) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);
const addressOf = (line) => {
  const rest = line.slice(line.indexOf(' ') + 1);
  return (/<([^>]*)>/.exec(rest)?.[1] ?? rest.trim()).toLowerCase();
};

// ---- one backend ------------------------------------------------------------------------------------

async function stress(backend) {
  const b = await prepare(backend);
  const freshBursts = b.userServer ? 0 : Math.round(bursts * freshRatio);
  console.log(`stress: ${b.backend}: ${b.where}; ${bursts} bursts of ${procs} processes, ${senders} sender${senders > 1 ? 's' : ''} each, ${freshBursts} on a new database`);
  const dir = join(work, backend);
  mkdirSync(dir, { recursive: true });
  const scopes = [];
  let dup = 0;
  let none = 0;
  let short = 0;
  let wrongEntries = 0;
  let failedProcs = 0;
  let replies = 0;
  const errors = new Map();
  const t0 = Date.now();
  for (let i = 0; i < bursts; i++) {
    const fresh = i < freshBursts;
    // LMDB: a file per burst (a file has no scopes); a server: a new table/prefix, or the shared one
    const ns = backend === 'lmdb' ? `b${i}` : fresh ? `stress_b${i}` : 'stress_shared';
    const rcpt = b.userServer ? `stress-${run}-${i}@stress.invalid` : `bob-${i}@example.com`;
    scopes.push(rcpt);
    const bdir = join(dir, `b${i}`);
    const out = join(bdir, 'submitted');
    const hosts = [makeHost(bdir, 'A', b.onceA(ns), out, b.password), makeHost(bdir, 'B', b.onceB(ns), out, b.password)];
    const who = Array.from({ length: senders }, (_, s) => (senders === 1 ? 'alice@example.org' : `sender${s}@example.org`));
    if (backend === 'lmdb' && !fresh) {
      // an existing database holding another sender's entry
      const w = await deliver(hosts[0], 'someone-else@example.net', rcpt, 0);
      if (w.code !== 0) console.log(`burst ${i + 1}: the warm-up delivery failed: ${w.err.trim()}`);
      rmSync(out, { force: true });
    }
    const results = await Promise.all(Array.from({ length: procs }, (_, p) => deliver(hosts[p % 2], who[p % senders], rcpt, p + 1)));
    const problems = [];
    for (const r of results) {
      if (r.code !== 0) {
        failedProcs++;
        const line = r.err.trim().split('\n')[0] || `exit ${r.code}`;
        errors.set(line, (errors.get(line) ?? 0) + 1);
        problems.push(`exit ${r.code}: ${line}`);
      }
    }
    const got = readLines(out).map(addressOf);
    replies += got.length;
    const per = new Map(who.map((s) => [s, 0]));
    for (const a of got) per.set(a, (per.get(a) ?? 0) + 1);
    const doubled = [...per].filter(([, n]) => n > 1);
    const missing = [...per].filter(([, n]) => n === 0);
    if (doubled.length > 0) dup++;
    if (got.length === 0) none++;
    else if (missing.length > 0) short++;
    // the database: one entry per sender, each with count 1
    const store = await openStore(b, ns);
    let entries = [];
    try {
      for await (const e of store.entries('key', backend === 'lmdb' ? undefined : rcpt)) entries.push(`${e.key}:${e.count}`);
    } catch (e) {
      entries = [`(cannot read: ${e.message})`];
    } finally {
      await store.close();
    }
    const expected = [...who, ...(backend === 'lmdb' && !fresh ? ['someone-else@example.net'] : [])].map((k) => `${k}:1`).sort();
    const entriesOk = JSON.stringify(entries.sort()) === JSON.stringify(expected);
    if (!entriesOk) wrongEntries++;
    const bad = doubled.length > 0 || missing.length > 0 || problems.length > 0 || !entriesOk;
    if (bad || (!opts.quiet && (i + 1) % 25 === 0)) {
      const what = bad
        ? `${got.length} repl${got.length === 1 ? 'y' : 'ies'}` +
          (doubled.length ? `, twice or more: ${doubled.map(([s, n]) => `${s} ×${n}`).join(' ')}` : '') +
          (missing.length ? `, none for ${missing.length} sender(s)` : '') +
          (problems.length ? `, ${problems.length} failed (${problems[0]})` : '') +
          (entriesOk ? '' : `, entries ${JSON.stringify(entries)}`)
        : 'ok';
      console.log(`${backend} burst ${i + 1}/${bursts} (${fresh ? 'new' : 'existing'} database): ${what}  [${Math.round((Date.now() - t0) / 1000)} s]`);
    }
    rmSync(bdir, { recursive: true, force: true });
  }
  if (b.userServer) {
    // remove what the bursts recorded: the entries of their own mailboxes only
    const store = await openStore(b, '');
    try {
      for (const s of scopes) await store.clear(s);
    } finally {
      await store.close();
    }
  }
  return {
    backend: b.backend,
    server: b.where,
    bursts,
    processesPerBurst: procs,
    sendersPerBurst: senders,
    burstsOnNewDatabase: freshBursts,
    replies,
    burstsWithDuplicates: dup,
    burstsWithoutReply: none,
    burstsWithASenderUnanswered: short,
    burstsWithWrongEntries: wrongEntries,
    failedProcesses: failedProcs,
    errors: Object.fromEntries(errors),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

// ---- all of them ------------------------------------------------------------------------------------

let ok = true;
const summaries = [];
try {
  for (const backend of backends) {
    let s;
    try {
      s = await stress(backend);
    } catch (e) {
      s = { backend, error: e.message };
    }
    summaries.push(s);
    console.log(JSON.stringify(s, null, 2));
    if (s.error || s.burstsWithDuplicates || s.burstsWithoutReply || s.burstsWithASenderUnanswered || s.burstsWithWrongEntries || s.failedProcesses) ok = false;
  }
} finally {
  await stopAll();
}
if (summaries.length > 1) {
  console.log('backend   bursts  duplicates  no-reply  failed-processes  wrong-entries  seconds');
  for (const s of summaries)
    console.log(
      s.error
        ? `${s.backend.padEnd(9)} error: ${s.error}`
        : `${s.backend.padEnd(9)} ${String(s.bursts).padStart(6)}  ${String(s.burstsWithDuplicates).padStart(10)}  ${String(s.burstsWithoutReply).padStart(8)}  ${String(s.failedProcesses).padStart(16)}  ${String(s.burstsWithWrongEntries).padStart(13)}  ${String(s.seconds).padStart(7)}`,
    );
}
process.exitCode = ok ? 0 : 1;
