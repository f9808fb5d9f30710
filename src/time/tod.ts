import { lightFormat } from 'date-fns/lightFormat';

/**
 * Exim's time-of-day strings (tod.c), in local time: the numeric parts by
 * date-fns' lightFormat, the day and month names and the zone written here. Exim
 * writes English names whatever the locale, and date-fns' full `format` brings a
 * locale's worth of code that every delivery would load for three words.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-12-02 14:04:57`: $tod_log, and the time stamp of a log record. */
export const todLog = (d: Date): string => lightFormat(d, 'yyyy-MM-dd HH:mm:ss');

/** `20261202`: $tod_logfile. */
export const todLogfile = (d: Date): string => lightFormat(d, 'yyyyMMdd');

/** `+0100`: $tod_zone. */
export function todZone(d: Date): string {
  const east = -d.getTimezoneOffset();
  const abs = Math.abs(east);
  return `${east < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** `Wed, 02 Dec 2026 14:04:57 +0000`: $tod_full (RFC 5322's date). */
export const todFull = (d: Date): string => `${DAYS[d.getDay()]}, ${lightFormat(d, 'dd')} ${MONTHS[d.getMonth()]} ${lightFormat(d, 'yyyy HH:mm:ss')} ${todZone(d)}`;

/** `Wed Dec 02 14:04:57 2026`: $tod_bsdinbox (an mbox `From ` line's date). */
export const todBsdInbox = (d: Date): string => `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${lightFormat(d, 'dd HH:mm:ss yyyy')}`;
