import type { ByteString } from '../bytes.js';
import { expand, ExpansionError } from '../expand/index.js';
import type { Expanded, ExpansionContext } from '../expand/context.js';
import { MalformedReply } from '../delivery/decision.js';
import { configError, dataError, tempError } from '../errors.js';
import type { Profile } from '../profile.js';

/**
 * Exim's checkexpand(): expand an option, fail the delivery when that fails, and
 * refuse non-printing characters — in header options a newline is allowed only
 * when it folds (followed by space or tab); in paths nothing non-printing is.
 */
export type CheckKind = 'header' | 'text' | 'path';

/** How a failure is answered: Exim's verdicts (65, a deferral for deep nesting), or ours (a refusal, rule malformed). */
export type CheckProfile = Pick<Profile, 'eximVerdicts' | 'safeReply'>;

export function checkExpand(template: ByteString, kind: CheckKind, ctx: ExpansionContext, profile: CheckProfile): Expanded {
  let result;
  try {
    result = expand(template, ctx);
  } catch (err) {
    if (err instanceof ExpansionError) {
      const why = `Expansion of "${printable(template)}" failed: ${err.message}`;
      // Exim 4.96 crashes on such nesting (a stack overflow) and the delivery is deferred
      if (err.kind === 'nesting' && profile.eximVerdicts) throw tempError(why);
      // message data made it that big: the sender's doing, not the configuration's
      if (err.kind === 'size') throw profile.eximVerdicts ? dataError(why) : new MalformedReply(why);
      throw configError(why);
    }
    throw err;
  }
  if (kind !== 'text') {
    // with the safe profile 8-bit header text is RFC 2047 encoded later
    const bad = firstNonPrinting(result.value, kind === 'header', kind === 'header' && profile.safeReply);
    if (bad !== undefined) {
      const why = `Expansion of "${printable(template)}" contains non-printing character ${bad}`;
      // Exim's verdict is exit 65; outside --exim-strict such a message is not answered
      throw profile.eximVerdicts ? dataError(why) : new MalformedReply(why);
    }
  }
  return result;
}

/** The code of the first non-printing byte (tab counts as printing), or undefined. */
export function firstNonPrinting(value: ByteString, folding: boolean, allow8bit: boolean): number | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x09) continue;
    if (allow8bit && c >= 0x80) continue;
    if (folding && c === 0x0a && (value[i + 1] === ' ' || value[i + 1] === '\t')) continue;
    return c;
  }
  return undefined;
}

/**
 * A template or value as Exim shows it in messages: non-printing bytes escaped;
 * cut after 500 characters, so that a huge one still makes a readable log line.
 */
export function printable(s: ByteString): string {
  const shown = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s;
  return shown.replace(/[^\x20-\x7e]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

const MAX_SHOWN = 500;
