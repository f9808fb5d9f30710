// How scripts/bench.mjs measures: whole processes, wall-clock, in turns.
//
// A plan is a list of rows; each row says, for run i, the command and the file
// its standard input comes from (precomputed, so that a plan can be handed to
// another process as JSON: see run-plan.mjs). The rows are measured in turns —
// run 1 of every row, then run 2, ... — so that load on the machine falls on all
// of them alike. Every command runs under `env -i PATH=...` (as Exim's pipe
// transport runs commands: an inherited NODE_EXTRA_CA_CERTS alone makes node
// slower), stdout discarded, stderr kept for the error message.
//
// A row may say what each run must have done, so that a figure is never that of
// something else (a "reply sent" row quietly refused by the rate rule, a refusal
// that sends): `outbox` is the file its stand-in sendmail appends each reply to,
// and `expect` is 'sent' (it grew) or 'none' (it did not).
//
//   row = { name, runs: [{ argv, input }], setup?: [{ argv, input }], okStatus?: [0],
//           outbox?: FILE, expect?: 'sent' | 'none', rss?: boolean }
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';

export const PATH = '/usr/local/bin:/usr/bin:/bin';

const GNU_TIME = ['/usr/bin/time'].find((p) => existsSync(p) && spawnSync(p, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0);
export const haveGnuTime = () => GNU_TIME !== undefined;

/** One run: wall ms, peak RSS in KB (with `rss` and GNU time), exit status, stderr. */
export function runOnce(argv, input, { rss = false } = {}) {
  const fd = openSync(input, 'r');
  const full = rss && GNU_TIME ? [GNU_TIME, '-f', '%M', ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('env', ['-i', `PATH=${PATH}`, ...full], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  const lines = (r.stderr ?? '').trim().split('\n');
  const kb = rss && GNU_TIME ? Number(lines.pop()) : undefined;
  return { ms, kb, status: r.status, signal: r.signal, stderr: lines.join('\n') };
}

const sizeOf = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/**
 * Let the event loop turn between runs: signal handlers (Ctrl-C: stop the servers,
 * remove the folders) run only then, and nothing else here ever waits.
 */
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Measure the rows in turns. Returns one entry per row: { name, ms: [...], kb: [...] }
 * or { name, error } for a row that failed (it is left out of the later turns;
 * the others go on).
 */
export async function runPlan(rows) {
  const out = rows.map((row) => ({ name: row.name, ms: [], kb: [] }));
  for (const [j, row] of rows.entries()) {
    for (const s of row.setup ?? []) {
      const r = runOnce(s.argv, s.input);
      await yieldToEventLoop();
      if (r.status !== 0 && !out[j].error) out[j].error = `setup: exit ${r.status ?? r.signal}: ${r.stderr.split('\n').slice(-3).join(' / ')}`;
    }
  }
  const turns = Math.max(0, ...rows.map((r) => r.runs.length));
  for (let i = 0; i < turns; i++) {
    for (const [j, row] of rows.entries()) {
      if (out[j].error || i >= row.runs.length) continue;
      const { argv, input } = row.runs[i];
      const before = row.outbox ? sizeOf(row.outbox) : 0;
      const r = runOnce(argv, input, { rss: row.rss });
      await yieldToEventLoop();
      const ok = (row.okStatus ?? [0]).includes(r.status);
      if (!ok) {
        out[j].error = `run ${i + 1}: exit ${r.status ?? r.signal}: ${r.stderr.split('\n').slice(-3).join(' / ') || '(no message)'}`;
        continue;
      }
      if (row.outbox && row.expect) {
        const grew = sizeOf(row.outbox) > before;
        if (row.expect === 'sent' && !grew) out[j].error = `run ${i + 1}: exit ${r.status} but no reply reached the stand-in sendmail (${r.stderr.split('\n').pop() || 'no message'})`;
        if (row.expect === 'none' && grew) out[j].error = `run ${i + 1}: a reply was submitted, none was expected`;
        if (out[j].error) continue;
      }
      out[j].ms.push(r.ms);
      if (r.kb !== undefined && Number.isFinite(r.kb)) out[j].kb.push(r.kb);
    }
  }
  return out;
}

/** Median, quartiles, min, max of a list of numbers. */
export function stats(xs) {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => {
    // linear interpolation between closest ranks
    const pos = p * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
  };
  return { median: q(0.5), q1: q(0.25), q3: q(0.75), min: s[0], max: s[s.length - 1], n: s.length };
}
