import { lazyRequire } from '../lazy.js';

/**
 * Regular expressions with a budget, as Exim's PCRE match limit gives them: a
 * configured pattern such as `^(a+)+$` matched against message data can otherwise
 * backtrack for minutes (V8's engine has no limit of its own). Like PCRE2 under
 * Exim 4.96, a match that runs out of budget is a *non-match*, silently: Exim logs
 * nothing either.
 *
 * Two limits:
 * - per match, BACKTRACK_LIMIT backtracking steps (about 0.1-0.3 s of work);
 *   deterministic, whatever the machine's load;
 * - per run, TOTAL_MS of regular-expression time: past it every further match
 *   fails at once, so a message cannot multiply the first limit by making many
 *   matches run (one `never_mail` regex per address of a thousand-address
 *   Reply-To).
 *
 * The per-match limit uses V8's RegExp backtrack limit, reachable only through
 * V8's natives syntax (`%NewRegExpWithBacktrackLimit`, a V8 test facility),
 * turned on for the one function below. Where a Node no longer offers it, each
 * match runs under a vm timeout of the remaining budget instead (about 1 ms of
 * overhead per match, and a time rather than a step limit).
 */
export const BACKTRACK_LIMIT = 1_000_000;
export const TOTAL_MS = 2000;

type Factory = (source: string, flags: string, limit: number) => RegExp;

let factory: Factory | null | undefined;
let spentMs = 0;

/** A RegExp whose matches stop (fail) after BACKTRACK_LIMIT backtracking steps, when the engine allows. */
export function limitedRegExp(source: string, flags: string): RegExp {
  const make = loadFactory();
  return make ? make(source, flags, BACKTRACK_LIMIT) : new RegExp(source, flags);
}

/** `re.exec(subject)` within the budget; null when it does not match or the budget ran out. */
export function execLimited(re: RegExp, subject: string): RegExpExecArray | null {
  if (spentMs >= TOTAL_MS) return null;
  const start = performance.now();
  try {
    return factory ? re.exec(subject) : execWithTimeout(re, subject, TOTAL_MS - spentMs);
  } finally {
    spentMs += performance.now() - start;
  }
}

/** Every match of a global RegExp (`${sg}`), each within the budget. */
export function* matchAllLimited(re: RegExp, subject: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (;;) {
    const m = execLimited(re, subject);
    if (!m) return;
    yield m;
    if (m[0] === '') re.lastIndex++;
  }
}

/** Forget the time spent (tests; each delivery is its own process). */
export function resetRegexBudget(): void {
  spentMs = 0;
}

function loadFactory(): Factory | null {
  if (factory !== undefined) return factory;
  try {
    const v8 = lazyRequire<typeof import('node:v8')>('node:v8');
    v8.setFlagsFromString('--allow-natives-syntax');
    const make = new Function('source', 'flags', 'limit', 'return %NewRegExpWithBacktrackLimit(source, flags, limit);') as Factory;
    v8.setFlagsFromString('--no-allow-natives-syntax');
    // prove it: a catastrophic pattern must give up instead of running for minutes
    const probe = make('^(a+)+$', '', 10_000);
    if (!(probe instanceof RegExp) || probe.exec('a'.repeat(40) + '!') !== null) throw new Error('no backtrack limit');
    factory = make;
  } catch {
    factory = null;
  }
  return factory;
}

let timed: { run: (re: RegExp, subject: string, ms: number) => RegExpExecArray | null } | undefined;

/** The fallback: the match runs in a vm script that V8 terminates after `ms`. */
function execWithTimeout(re: RegExp, subject: string, ms: number): RegExpExecArray | null {
  if (!timed) {
    const vm = lazyRequire<typeof import('node:vm')>('node:vm');
    const script = new vm.Script('globalThis.__autoreplyRegex.re.exec(globalThis.__autoreplyRegex.subject)');
    const slot: { re?: RegExp; subject?: string } = {};
    (globalThis as Record<string, unknown>).__autoreplyRegex = slot;
    timed = {
      run: (r, s, limit) => {
        slot.re = r;
        slot.subject = s;
        try {
          return script.runInThisContext({ timeout: Math.max(1, Math.ceil(limit)) }) as RegExpExecArray | null;
        } catch {
          return null; // timed out: no match, as PCRE's limit
        }
      },
    };
  }
  return timed.run(re, subject, ms);
}
