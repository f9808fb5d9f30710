// What counts as a finding, and how findings are grouped into distinct problems.

export const CATEGORIES = [
  ['crash-signal', 'killed by a signal it was not sent by the fuzzer (crash, abort)'],
  ['stack-trace', 'a JavaScript stack trace ("    at ..." frames, "Node.js v...") on stderr'],
  ['internal-error', 'an "internal error" line on stderr'],
  ['bad-exit-code', 'exit code outside the allowed set (0 64 65 75 78; 1 for once show/forget)'],
  ['stderr-not-one-line', 'non-zero exit whose stderr is not exactly one line'],
  ['over-10s', 'ran more than 10 s (or was killed at the timeout)'],
  ['rss-over-100MB', 'peak RSS over 100 MB (or killed at the memory cap)'],
];
export const CATEGORY_NAMES = CATEGORIES.map(([n]) => n);

const SLOW_MS = 10_000;
const RSS_KB = 100 * 1024;

// "    at foo (/path/x.js:1:2)", "    at /path/x.js:1:2", "    at new Foo (node:internal/...)", "    at async ..."
const FRAME = /^[ \t]+at (?:async )?(?:new )?\S.*(?::\d+:\d+\)?|\(native\)|\(<anonymous>\)|<anonymous>)\s*$/m;
const NODE_VERSION = /^Node\.js v\d+\.\d+/m;
const INTERNAL = /internal error/i;

/** Is this stderr exactly one non-empty line (a final newline allowed)? */
export function oneLine(text) {
  const t = text.endsWith('\n') ? text.slice(0, -1) : text;
  return t.trim().length > 0 && !t.includes('\n');
}

/**
 * Categories of one result. r: {exitCode, signal, killedBy, wallMs, rssKb, stderr (string)}
 * Runs the fuzzer killed (timeout, memory) are judged on time and memory only.
 */
export function classify(c, r) {
  const cats = [];
  const err = r.stderr;
  if (r.signal && !r.killedBy) cats.push('crash-signal');
  // (a run stopped for memory may print V8's out-of-memory report: judged on memory only)
  if (r.killedBy !== 'memory' && (FRAME.test(err) || NODE_VERSION.test(err))) cats.push('stack-trace');
  if (INTERNAL.test(err)) cats.push('internal-error');
  if (!r.killedBy && !r.signal && r.exitCode !== null && !c.allowedExit.includes(r.exitCode)) cats.push('bad-exit-code');
  if (!r.killedBy && !r.signal && r.exitCode !== 0 && !oneLine(err)) cats.push('stderr-not-one-line');
  if (r.killedBy === 'timeout' || r.wallMs > SLOW_MS) cats.push('over-10s');
  if (r.killedBy === 'memory' || r.rssKb > RSS_KB) cats.push('rss-over-100MB');
  return cats;
}

/** A message with the variable parts (numbers, quoted text, paths) taken out. */
export function normalise(line) {
  return String(line ?? '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\/(?:tmp|work|proc|dev)\/\S*/g, 'PATH')
    .replace(/\b0x[0-9a-f]+\b/gi, 'N')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 140);
}

function firstLine(text) {
  return text.split('\n').find((l) => l.trim()) ?? '';
}

/** The distinct-problem key of a finding in a category. */
export function signature(category, c, r) {
  const err = r.stderr;
  switch (category) {
    case 'crash-signal': {
      // a once database in an odd state (corrupt, truncated, garbage...) is the likely cause when there is one
      const state = c.tags.find((t) => t.startsWith('once-') && t !== 'once-new');
      const cause = state ?? `${c.kind}: ${String(c.mainTag).replace(/@\w+$/, '').replace(/:.*$/, '')}`;
      return `${r.signal} in ${c.command} (${cause}): ${normalise(firstLine(err))}`;
    }
    case 'stack-trace': {
      const lines = err.split('\n');
      const i = lines.findIndex((l) => FRAME.test(l));
      const msg = lines.slice(0, Math.max(i, 1)).filter((l) => l.trim() && !/^\s/.test(l)).pop() ?? firstLine(err);
      const frame = i >= 0 ? lines[i].trim().replace(/\(.*\)|\S+:\d+:\d+/g, '').trim() : '';
      return `${normalise(msg)} | ${frame}`;
    }
    case 'internal-error': {
      // autoreply's own line rather than what a library printed before it
      const ls = err.split('\n').filter((l) => INTERNAL.test(l));
      return normalise(ls.find((l) => l.startsWith('autoreply')) ?? ls[0]);
    }
    case 'bad-exit-code':
      return `exit ${r.exitCode}: ${normalise(firstLine(err))}`;
    case 'stderr-not-one-line': {
      // autoreply check lists every problem it finds, one a line
      if (c.command === 'check' && err.trim()) return `autoreply check: exit ${r.exitCode}, several problems, one a line`;
      const n = err.split('\n').filter((l, i, a) => i < a.length - 1 || l).length;
      return `exit ${r.signal ? r.signal : r.exitCode}, ${n === 0 ? 'nothing' : `${n} lines`} on stderr: ${normalise(firstLine(err))}`.replace(/\d+ lines/, (m) => (n > 1 ? 'several lines' : m));
    }
    case 'over-10s':
    case 'rss-over-100MB':
      // the input that made it slow or big: the heavy generator of the case
      // tags read "generator:details@option"; the generator names the problem
      return `${c.kind}: ${String(c.mainTag).replace(/@\w+$/, '').replace(/:(?!readfile-endless).*$/, '')}`;
    default:
      return category;
  }
}
