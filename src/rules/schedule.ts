import { formatISO } from 'date-fns/formatISO';
import type { Rule } from './rule.js';

/**
 * Only answer inside the announced absence: a vacation notice left switched on
 * after the return misleads. Judges the current time, not the message's Date
 * (which the sender controls). Bounds are inclusive; see schedule-parse.ts.
 */
export const schedule: Rule<'schedule'> = {
  name: 'schedule',
  check({ now, settings }) {
    const { start, end } = settings;
    if (start && now < start.getTime()) return `now is before --start ${formatISO(start)}`;
    if (end && now > end.getTime()) return `now is after --end ${formatISO(end)}`;
    return undefined;
  },
};
