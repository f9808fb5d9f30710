import { authFail } from './auth-fail.js';
import { autoReplySubject } from './auto-reply-subject.js';
import { autoSubmitted } from './auto-submitted.js';
import { bounce } from './bounce.js';
import { bulk } from './bulk.js';
import { daemon } from './daemon.js';
import { list } from './list.js';
import { loop } from './loop.js';
import { notPersonal } from './not-personal.js';
import { rate } from './rate.js';
import { RULE_NAMES, type Rule, type RuleHit, type RuleInput, type RuleName } from './rule.js';
import { schedule } from './schedule.js';
import { self } from './self.js';
import { spam } from './spam.js';
import { tooManyRecipients } from './too-many-recipients.js';

/** Every safety rule, in the order of SPEC section 5 (the first hit names the decision). */
export const ALL_RULES: readonly Rule[] = [
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
  rate,
];

// The order is part of the contract; fail at load time rather than misname decisions.
if (ALL_RULES.map((r) => r.name).join() !== RULE_NAMES.join()) {
  throw new Error('ALL_RULES is out of step with RULE_NAMES');
}

/** The first rule (in SPEC order) that holds and is not allowed, or undefined: answer. */
export function evaluateRules(input: RuleInput, allowed: ReadonlySet<RuleName>): RuleHit | undefined {
  for (const rule of ALL_RULES) {
    if (allowed.has(rule.name)) continue;
    const reason = runRule(rule, input);
    if (reason !== undefined) return { rule: rule.name, reason };
  }
  return undefined;
}

/** Every rule that holds and is not allowed, in SPEC order (for --verbose and --dry-run). */
export function evaluateAll(input: RuleInput, allowed: ReadonlySet<RuleName> = new Set()): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const rule of ALL_RULES) {
    if (allowed.has(rule.name)) continue;
    const reason = runRule(rule, input);
    if (reason !== undefined) hits.push({ rule: rule.name, reason });
  }
  return hits;
}

/** A rule that trips over a malformed message refuses rather than crashing the transport. */
function runRule(rule: Rule, input: RuleInput): string | undefined {
  try {
    return rule.check(input);
  } catch (e) {
    return `could not be judged (${e instanceof Error ? e.message : String(e)})`;
  }
}

export function isRuleName(s: string): s is RuleName {
  return (RULE_NAMES as readonly string[]).includes(s);
}
