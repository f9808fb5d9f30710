import { endOfDay } from 'date-fns/endOfDay';
import { isValid } from 'date-fns/isValid';
import { parse } from 'date-fns/parse';
import { parseISO } from 'date-fns/parseISO';
import { startOfDay } from 'date-fns/startOfDay';
import { usageError } from '../errors.js';

/**
 * `--start` / `--end` values. A bare `YYYY-MM-DD` is a whole day in local time,
 * both ends inclusive: `--start 2025-07-01 --end 2025-07-14` covers July 1 00:00
 * to July 14 23:59:59.999. An ISO date-time (`2025-07-01T09:00`, `...:30`,
 * `...Z`, `...+02:00`, `...+0200`; a space may replace the T) is that instant,
 * local time when no zone is given; as an end it is inclusive to its own precision
 * (`T17:00` lasts until 17:00:59.999). Anything else is a usage error.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export function parseScheduleBound(text: string, which: 'start' | 'end'): Date {
  const v = text.trim();
  const bad = () =>
    usageError(`--${which} ${JSON.stringify(text)} is not a date (YYYY-MM-DD) or an ISO date-time (YYYY-MM-DDTHH:MM[:SS][zone])`);
  if (DATE.test(v)) {
    // parse() with a fixed pattern rejects 2025-02-30 instead of rolling it over
    const day = parse(v, 'yyyy-MM-dd', new Date(0));
    if (!isValid(day)) throw bad();
    return which === 'start' ? startOfDay(day) : endOfDay(day);
  }
  const m = DATE_TIME.exec(v);
  if (!m) throw bad();
  const [, date, time, zone] = m;
  if (!isValid(parse(date!, 'yyyy-MM-dd', new Date(0)))) throw bad();
  const instant = parseISO(`${date}T${time!.replace(',', '.')}${zone ? zone.toUpperCase() : ''}`);
  if (!isValid(instant)) throw bad();
  if (which === 'start') return instant;
  // inclusive end: the whole minute or second that was named
  const precision = time!.length === 5 ? 60_000 : time!.length === 8 ? 1000 : 1;
  return new Date(instant.getTime() + precision - 1);
}
