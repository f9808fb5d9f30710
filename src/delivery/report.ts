import { toBuffer, toText } from '../bytes.js';
import { describeDecision, type Decision } from './decision.js';

/** Where a run reports: the reply (dry run) and the decision trace. */
export interface Output {
  out(text: string | Buffer): void;
  err(line: string): void;
}

/** How the decision is shown: not at all, on --verbose, or with the reply on --dry-run (perhaps as JSON). */
export interface ReportMode {
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
}

/**
 * Report a decision: under --dry-run the reply on stdout and the decision on
 * stderr (or one JSON object), under --verbose the decision; otherwise nothing.
 */
export function report(mode: ReportMode, output: Output, decision: Decision): void {
  if (mode.dryRun && mode.json) {
    output.out(JSON.stringify(decisionJson(decision)) + '\n');
    return;
  }
  if (mode.dryRun && decision.action === 'send') output.out(toBuffer(decision.reply));
  if (!mode.dryRun && !mode.verbose) return;
  output.err(`autoreply: ${describeDecision(decision)}`);
  if (mode.dryRun && decision.action === 'skip' && decision.why.kind === 'rule') {
    for (const hit of decision.why.others) output.err(`autoreply: also: ${hit.rule}: ${toText(hit.reason)}`);
  }
}

function decisionJson(d: Decision): Record<string, unknown> {
  const base = { decision: d.action === 'send' ? 'reply' : 'no reply', recipients: d.recipients.map(toText) };
  if (d.action === 'send') return { ...base, rule: null, reason: describeDecision(d), reply: toText(d.reply) };
  const rule = d.why.kind === 'rule' ? d.why.hit.rule : d.why.kind;
  const others = d.why.kind === 'rule' ? d.why.others.map((h) => ({ rule: h.rule, reason: toText(h.reason) })) : [];
  return { ...base, rule, reason: describeDecision(d), also: others, reply: null };
}
