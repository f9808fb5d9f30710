/**
 * Exim time values, as Exim's readconf_readtime() reads them: one or more
 * groups of digits each followed by a unit — w (weeks), d (days), h (hours),
 * m (minutes), s (seconds) — with nothing between or after them: `5d4h`, `2w`,
 * `30m`, `10s`, `0h0m2s`. A number without a unit (`30`) and anything with
 * spaces or words (`2 days`) is invalid, as in Exim.
 *
 * One addition: a bare `0` is accepted and means 0 seconds, because the
 * documented default of `once_repeat` is 0 ("never send again") and people
 * write it that way.
 */

const UNIT_SECONDS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/** Seconds for an Exim time value, or undefined when it is not one. */
export function parseEximTime(s: string): number | undefined {
  if (s === '0') return 0;
  if (s.length === 0) return undefined;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === start) return undefined; // no digits where a number must be
    const unit = UNIT_SECONDS[s[i] ?? ''];
    if (unit === undefined) return undefined; // missing or unknown unit
    const n = Number(s.slice(start, i));
    i++;
    total += n * unit;
    if (!Number.isSafeInteger(total)) return undefined;
  }
  return total;
}

/** `--once-max-age` by default: a year (365 days), so that a database with once_repeat 0 cannot grow without bound. */
export const DEFAULT_MAX_AGE_MS = 365 * 86_400_000;
