// Runs one case: writes its files into a fresh case directory, starts
//   prlimit --as=LIMIT -- /usr/bin/time -f ... -o rusage env -i PATH=... VARS... bin/autoreply ARGS < stdin
// with execa, watches the autoreply process (the child of GNU time) through /proc,
// kills it at the timeout or the memory cap, and reports exit status or signal,
// stderr, stdout size, wall time and peak RSS.
import { execa } from 'execa';
import { mkdirSync, writeFileSync, readFileSync, symlinkSync, rmSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { CASE } from './cases.mjs';

export const CLEAN_PATH = '/usr/local/bin:/usr/bin:/bin';
const STDERR_KEEP = 64 * 1024;
const TIME_FORMAT = 'FUZZTIME %e %M %x';

const running = new Set(); // process group ids, for cleanup on ^C

export function killAllRunning() {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

const subst = (s, dir) => s.split(CASE).join(dir);

function substBuf(buf, dir) {
  const token = Buffer.from(CASE);
  if (buf.indexOf(token) < 0) return buf;
  const parts = [];
  let from = 0;
  for (let i = buf.indexOf(token); i >= 0; i = buf.indexOf(token, from)) {
    parts.push(buf.subarray(from, i), Buffer.from(dir));
    from = i + token.length;
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

/**
 * Write the case's files under `root` (run/ or setup/). With `dir` the @CASE@
 * token is replaced by it; without, files keep the token (setup/ for repro.sh).
 */
export function writeFiles(c, root, dir) {
  mkdirSync(root, { recursive: true });
  for (const f of c.files) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    rmSync(p, { recursive: true, force: true }); // a later entry for the same path wins
    if (f.dir) mkdirSync(p, { recursive: true });
    else if (f.symlink) symlinkSync(f.symlink, p);
    else {
      writeFileSync(p, dir ? substBuf(f.data, dir) : f.data);
      chmodSync(p, f.mode ?? 0o644);
    }
  }
}

/** The command line: prlimit + GNU time + env -i + the program. */
export function commandFor(c, dir, { bin, asLimitBytes, timeFile }) {
  const envPairs = Object.entries(c.env).map(([k, v]) => `${k}=${subst(v, dir)}`);
  const inner = ['/usr/bin/time', '-f', TIME_FORMAT, '-o', timeFile, 'env', '-i', ...envPairs, bin, ...c.argv.map((a) => subst(a, dir))];
  return asLimitBytes ? ['/usr/bin/prlimit', [`--as=${asLimitBytes}`, '--', ...inner]] : [inner[0], inner.slice(1)];
}

function readProc(path) {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Parse GNU time's -o file: "Command terminated by signal N" / "FUZZTIME e M x". */
function parseTime(text) {
  const out = {};
  if (!text) return out;
  const sig = /Command terminated by signal (\d+)/.exec(text);
  if (sig) out.signal = Number(sig[1]);
  const m = /FUZZTIME ([\d.]+) (\d+) (-?\d+)/.exec(text);
  if (m) {
    out.elapsedMs = Math.round(Number(m[1]) * 1000);
    out.rssKb = Number(m[2]);
    if (!sig) out.exitCode = Number(m[3]);
  }
  return out;
}

const SIGNALS = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ', 31: 'SIGSYS' };

/**
 * Run case `c` in `dir` (created here; run/ inside it is the case's own directory).
 * opts: {bin, timeoutMs, memCapKb, asLimitBytes}
 */
export async function runCase(c, dir, opts) {
  const runDir = join(dir, 'run');
  writeFiles(c, runDir, dir);
  const stdinFile = join(dir, 'stdin');
  writeFileSync(stdinFile, c.stdin);
  const timeFile = join(dir, 'rusage.txt');
  const [file, args] = commandFor(c, dir, { ...opts, timeFile });

  const started = process.hrtime.bigint();
  const sub = execa(file, args, {
    cwd: runDir,
    extendEnv: false,
    env: { PATH: CLEAN_PATH },
    inputFile: stdinFile,
    buffer: false,
    reject: false,
    detached: true, // own process group: stragglers (a hanging stand-in sendmail) are killed with it
    stripFinalNewline: false,
  });
  const pgid = sub.pid;
  running.add(pgid);
  let stdoutBytes = 0;
  let stderrBytes = 0;
  const errChunks = [];
  sub.stdout.on('data', (d) => {
    stdoutBytes += d.length;
  });
  sub.stderr.on('data', (d) => {
    if (stderrBytes < STDERR_KEEP) errChunks.push(d.subarray(0, STDERR_KEEP - stderrBytes));
    stderrBytes += d.length;
  });

  let nodePid;
  let killedBy;
  let polledPeakKb = 0;
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const watchdog = setInterval(() => {
    if (!nodePid) {
      const kids = readProc(`/proc/${pgid}/task/${pgid}/children`);
      const first = kids && kids.trim().split(/\s+/)[0];
      if (first) nodePid = Number(first);
    }
    if (nodePid && !killedBy) {
      const status = readProc(`/proc/${nodePid}/status`);
      const hwm = status && /VmHWM:\s+(\d+)/.exec(status);
      if (hwm) polledPeakKb = Math.max(polledPeakKb, Number(hwm[1]));
      if (polledPeakKb > opts.memCapKb) killedBy = 'memory';
      else if (elapsed() > opts.timeoutMs) killedBy = 'timeout';
      if (killedBy) {
        try {
          process.kill(nodePid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (elapsed() > opts.timeoutMs + 15_000) {
      // GNU time or env hung: take down the whole group
      killedBy ??= 'timeout';
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 100);
  sub.once('exit', () => {
    // whatever the program left behind (a stand-in sendmail still sleeping) goes too
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // nothing left
    }
  });

  const res = await sub;
  clearInterval(watchdog);
  running.delete(pgid);
  const wallMs = elapsed();
  const t = parseTime(readProc(timeFile));
  const result = {
    exitCode: t.signal ? null : t.exitCode ?? res.exitCode ?? null,
    signal: t.signal ? SIGNALS[t.signal] ?? `signal ${t.signal}` : res.signal && !t.exitCode ? res.signal : undefined,
    killedBy,
    wallMs: Math.round(t.elapsedMs !== undefined ? Math.max(t.elapsedMs, 0) : wallMs),
    outerWallMs: Math.round(wallMs),
    rssKb: Math.max(t.rssKb ?? 0, polledPeakKb),
    stdoutBytes,
    stderrBytes,
    stderr: Buffer.concat(errChunks).toString('utf8'),
  };
  if (opts.asLimitBytes && !killedBy && /bad_alloc|out of memory|Reached heap limit|Allocation failed|Cannot allocate memory/i.test(result.stderr)) {
    // ran into the fuzzer's address-space limit: memory exhaustion, not a crash of its own
    result.killedBy = 'memory';
    result.note = 'allocation failed at the address-space limit';
  }
  if (t.exitCode === undefined && !t.signal && res.exitCode !== 0) {
    // GNU time itself did not report (killed, or could not start the program)
    result.note = `wrapper: exit ${res.exitCode ?? res.signal}`;
  }
  return result;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
