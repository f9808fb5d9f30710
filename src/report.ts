import { toBuffer, toText } from './bytes.js';
import { describeDecision, type Decision } from './decision.js';
import { EXIT, type ExitCode } from './errors.js';
import type { Settings } from './settings.js';

/** Where a run reports: the reply (dry run) and the decision trace. */
export interface Output {
  out(text: string | Buffer): void;
  err(line: string): void;
}

/** How a run ended. */
export interface Outcome {
  exitCode: ExitCode;
  decision?: Decision;
}

/**
 * Report a decision: under --dry-run the reply on stdout and the decision on
 * stderr (or one JSON object), under --verbose the decision; otherwise nothing.
 */
export function finish(settings: Settings, output: Output, decision: Decision): Outcome {
  if (settings.dryRun) {
    if (settings.json) {
      output.out(JSON.stringify(decisionJson(decision)) + '\n');
    } else {
      if (decision.action === 'send') output.out(toBuffer(decision.reply));
      output.err(`autoreply: ${describeDecision(decision)}`);
      if (decision.action === 'skip' && decision.why.kind === 'rule') {
        for (const hit of decision.why.others) output.err(`autoreply: also: ${hit.rule}: ${toText(hit.reason)}`);
      }
    }
  } else if (settings.verbose) {
    output.err(`autoreply: ${describeDecision(decision)}`);
  }
  return { exitCode: EXIT.OK, decision };
}

function decisionJson(d: Decision): Record<string, unknown> {
  const base = { decision: d.action === 'send' ? 'reply' : 'no reply', recipients: d.recipients.map(toText) };
  if (d.action === 'send') return { ...base, rule: null, reason: describeDecision(d), reply: toText(d.reply) };
  const rule = d.why.kind === 'rule' ? d.why.hit.rule : d.why.kind;
  const others = d.why.kind === 'rule' ? d.why.others.map((h) => ({ rule: h.rule, reason: toText(h.reason) })) : [];
  return { ...base, rule, reason: describeDecision(d), also: others, reply: null };
}

