import type { Rule } from './rule.js';

/**
 * A circuit breaker: a flood of messages from many (forged) senders must not make
 * us send a flood of replies. `repliesLastHour` comes from the once database;
 * unknown (no database) means the rule cannot judge. 0 = unlimited. The
 * transport counts inside the once database's exclusive check-and-record
 * transaction (one locked use per delivery, and no race between count and
 * record), and this rule gives the verdict there.
 */
export const rate: Rule = {
  name: 'rate',
  check({ repliesLastHour, settings }) {
    const max = settings.maxRepliesPerHour;
    if (max <= 0 || repliesLastHour === undefined) return undefined;
    if (repliesLastHour >= max) {
      return `${repliesLastHour} replies in the last hour, --max-replies-per-hour is ${max}`;
    }
    return undefined;
  },
};
