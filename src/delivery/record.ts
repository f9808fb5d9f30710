import { appendRecord } from '../log/append.js';
import { notSentRecord, previouslySentRecord, sentRecord } from '../log/records.js';
import type { Decision } from './decision.js';
import type { Output } from './report.js';

/**
 * The decision's record in the `log` file, in Exim's format: what was sent;
 * "previously sent to" for one suppressed by once; "not sent to ADDR: RULE" for
 * a refusal (and "failed: REASON" under --fire-and-forget). A log that cannot be
 * written does not fail the delivery (as in Exim); --verbose says why.
 */
export function writeRecord(decision: Decision, now: Date, mode: number, verbose: boolean, output: Output): void {
  const entry = recordOf(decision, now);
  if (entry === undefined) return;
  const problem = appendRecord(entry.path, entry.record, mode);
  if (problem && verbose) output.err(`autoreply: ${problem}`);
}

function recordOf(d: Decision, now: Date) {
  if (d.action === 'send') return d.log === undefined ? undefined : { path: d.log, record: sentRecord(now, d.fields) };
  if (d.log === undefined) return undefined;
  const { path, to } = d.log;
  switch (d.why.kind) {
    case 'once':
      return { path, record: previouslySentRecord(now, to) };
    case 'rule':
      return { path, record: notSentRecord(now, to, d.why.hit.rule) };
    case 'failed':
      return { path, record: notSentRecord(now, to, `failed: ${d.why.reason}`) };
    default:
      return undefined;
  }
}
