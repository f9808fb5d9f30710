import type { RuleHit } from './rule.js';
import { bytes } from '../bytes.js';

/**
 * The `rate` rule, a circuit breaker: a flood of messages from many (forged)
 * senders must not make us send a flood of replies. The once database counts the
 * replies of the last hour in the same atomic step that records one (so no two
 * deliveries can both slip under the limit), and refuses past
 * `--max-replies-per-hour`; this names the refusal.
 */
export function rateHit(repliesLastHour: number, maxPerHour: number): RuleHit {
  return { rule: 'rate', reason: bytes(`${repliesLastHour} replies in the last hour, --max-replies-per-hour is ${maxPerHour}`) };
}
