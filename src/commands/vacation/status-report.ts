import { format } from 'date-fns/format';
import type { VacationSettings } from './forward-file.js';

/**
 * What `autoreply vacation status` prints, from the facts switch.ts
 * gathers: one `label: value` line per fact, e.g.
 *
 *   vacation:  on since 2026-07-12 10:03 +02:00
 *   replies:   from 2026-07-13 00:00 +02:00 until 2026-07-26 23:59 +02:00
 *   message:   "I am away until Sunday 26 July 2026 and not reading my mail." (/home/carol/.vacation.msg)
 *   answered:  3 correspondents since it was switched on; 5 in all (7 replies), the last on 2026-07-14 08:12 +02:00 (/home/carol/.vacation)
 *   .forward:  your previous .forward comes back with "autoreply vacation off" (saved as /home/carol/.forward.autoreply-saved)
 */

export type ForwardState =
  | { state: 'off' }
  | { state: 'on'; since: Date; settings: VacationSettings; previous: 'none' | 'saved'; consistent: boolean }
  /** ~/.forward pipes into autoreply, not written by `on`. */
  | { state: 'by-hand' }
  /** No ~/.forward, but a saved one: `off` puts it back. */
  | { state: 'saved-only' };

export type Answered =
  | { kind: 'none' }
  | { kind: 'entries'; correspondents: number; sinceOn?: number; replies: number; last?: Date }
  | { kind: 'error'; reason: string };

export interface StatusFacts {
  now: Date;
  forward: ForwardState;
  /** --start / --end as instants (inclusive bounds). */
  schedule: { start?: Date; end?: Date };
  paths: { forward: string; saved: string; message: string; once: string };
  /** The first line of ~/.vacation.msg; undefined when there is none. */
  message?: string;
  answered: Answered;
}

export const when = (d: Date) => format(d, 'yyyy-MM-dd HH:mm xxx');
export const line = (label: string, value: string) => `${`${label}:`.padEnd(11)}${value}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function statusLines(f: StatusFacts): string[] {
  const out: string[] = [];
  const fw = f.forward;
  const on = fw.state === 'on';
  switch (fw.state) {
    case 'on':
      out.push(line('vacation', `on since ${when(fw.since)}`));
      out.push(line('replies', replies(f)));
      if (fw.settings.aliases.length > 0) out.push(line('aliases', fw.settings.aliases.join(', ')));
      break;
    case 'by-hand':
      out.push(line('vacation', `on, set up by hand: ${f.paths.forward} pipes mail into autoreply ("autoreply vacation off" leaves it alone)`));
      break;
    case 'saved-only':
      out.push(line('vacation', `off, but ${f.paths.forward} is missing: "autoreply vacation off" puts back ${f.paths.saved}`));
      break;
    case 'off':
      out.push(line('vacation', 'off'));
      break;
  }
  if (f.message === undefined) {
    out.push(line('message', `none: ${f.paths.message} does not exist${on ? ' (replies fail until it does)' : ''}`));
  } else {
    out.push(line('message', `"${f.message}" (${f.paths.message}${on ? '' : ', kept for next time'})`));
  }
  out.push(line('answered', answered(f, on)));
  if (fw.state === 'on') {
    if (!fw.consistent) {
      out.push(line('.forward', `changed since "autoreply vacation on" wrote it: "off" will not touch it; edit it yourself`));
    } else if (fw.previous === 'saved') {
      out.push(line('.forward', `your previous .forward comes back with "autoreply vacation off" (saved as ${f.paths.saved})`));
    } else {
      out.push(line('.forward', `written by "autoreply vacation on" (there was none before; "off" removes it)`));
    }
  }
  return out;
}

function replies(f: StatusFacts): string {
  const { start, end } = f.schedule;
  const now = f.now.getTime();
  const span = start && end ? `from ${when(start)} until ${when(end)}` : start ? `from ${when(start)} on` : end ? `until ${when(end)}` : 'until switched off';
  if (end && now > end.getTime()) return `${span}: ended, nothing is answered any more ("autoreply vacation off" tidies up)`;
  if (start && now < start.getTime()) return `${span}: not started yet`;
  return span;
}

function answered(f: StatusFacts, on: boolean): string {
  const a = f.answered;
  switch (a.kind) {
    case 'none':
      return `nobody yet (${f.paths.once} does not exist)`;
    case 'error':
      return `unknown: ${a.reason}`;
    case 'entries': {
      if (a.correspondents === 0) return `nobody yet (${f.paths.once} is empty)`;
      const all = `${plural(a.correspondents, 'correspondent')} (${plural(a.replies, 'reply', 'replies')})${a.last ? `, the last on ${when(a.last)}` : ''}`;
      const fresh = on && a.sinceOn !== undefined ? `${plural(a.sinceOn, 'correspondent')} since it was switched on; in all ` : '';
      return `${fresh}${all} (${f.paths.once})`;
    }
  }
}
