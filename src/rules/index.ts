import { authFail } from './auth-fail.js';
import { autoReplySubject } from './auto-reply-subject.js';
import { autoSubmitted } from './auto-submitted.js';
import { bounce } from './bounce.js';
import { bulk } from './bulk.js';
import { daemon } from './daemon.js';
import { list } from './list.js';
import { loop } from './loop.js';
import { notPersonal } from './not-personal.js';
import type { Rule, RuleHit, RuleInput } from './rule.js';
import { schedule } from './schedule.js';
import { self } from './self.js';
import { spam } from './spam.js';
import { tooManyRecipients } from './too-many-recipients.js';
import { bytes } from '../bytes.js';

/**
 * The safety rules that judge a message, in the order of SPEC section 5: when
 * several hold, the first names the decision. The list is the one place a rule
 * is registered; `rate` comes after them and is judged with the once record
 * (once/store.ts), so it is a switch but no Rule here.
 */
export const RULES = [
  bounce,
  autoSubmitted,
  autoReplySubject,
  list,
  bulk,
  daemon,
  self,
  notPersonal,
  loop,
  spam,
  tooManyRecipients,
  schedule,
  authFail,
] as const satisfies readonly Rule[];

/** The rules' names (`bounce`, `list`, ...). */
export type RuleName = (typeof RULES)[number]['name'];

/** A rule that `--allow-NAME` switches off: one of RULES, or `rate`. */
export type Switchable = RuleName | 'rate';

/** Every rule that can be switched off, in SPEC order. */
export const SWITCHABLE: readonly Switchable[] = [...RULES.map((r) => r.name), 'rate'];

/** Every rule that holds and is not allowed, in SPEC order (the first names the decision; --dry-run shows all). */
export function judge(input: RuleInput, allowed: ReadonlySet<Switchable> = new Set()): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const rule of RULES) {
    if (allowed.has(rule.name)) continue;
    const reason = runRule(rule, input);
    if (reason !== undefined) hits.push({ rule: rule.name, reason: bytes(reason) }); // message bytes and ASCII
  }
  return hits;
}

/** A rule that trips over a malformed message refuses rather than crashing the delivery. */
function runRule(rule: Rule, input: RuleInput): string | undefined {
  try {
    return rule.check(input);
  } catch (e) {
    return `could not be judged (${e instanceof Error ? e.message : String(e)})`;
  }
}
