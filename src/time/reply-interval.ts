import { parseEximTime } from './exim-time.js';

/**
 * `once_repeat` outside --exim-strict: Exim's time values first (`5d4h`, `2w`,
 * `30m`, `0` — unchanged, so a value Exim accepts means what it means in Exim),
 * then the two other spellings our seed systems use:
 *
 * - PEP's `replyinterval`: a number and h, d or w (`5d`, `12h`, `2w`), also
 *   written `5 d`, `5D` or `replyinterval 5d`; PEP's minimum is one hour, so
 *   `0 h` is refused;
 * - Misfin's `interval`, a whole number of seconds (`86400`) — accepted only
 *   with `bareSeconds` (the `--mailbox` mode), because in Exim `30` is an error.
 *
 * Returns seconds, or undefined when the value is none of these.
 */
export function parseReplyInterval(value: string, bareSeconds: boolean): number | undefined {
  const exim = parseEximTime(value);
  if (exim !== undefined) return exim;
  const pep = /^\s*(?:replyinterval\s+)?(\d+)\s*([hdw])\s*$/i.exec(value);
  if (pep) {
    const seconds = Number(pep[1]) * { h: 3600, d: 86400, w: 604800 }[pep[2]!.toLowerCase() as 'h' | 'd' | 'w'];
    return seconds >= 3600 && Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  if (bareSeconds && /^\s*\d+\s*$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}
