import t from 'tap';
import { format } from 'date-fns/format';
import { todBsdInbox, todFull, todLog, todLogfile, todZone } from '../../src/time/tod.js';

// date-fns' full format, with its English locale, as the reference for Exim's strings
t.test("Exim's time-of-day strings, in several zones", async (t) => {
  const saved = process.env.TZ;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
  for (const tz of ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kolkata', 'Pacific/Chatham']) {
    process.env.TZ = tz;
    for (const ms of [0, 1764684297000, 1700000000000, 1721000000000, 951782400000]) {
      const d = new Date(ms);
      t.equal(todFull(d), format(d, 'EEE, dd MMM yyyy HH:mm:ss xx'), `${tz} ${ms} tod_full`);
      t.equal(todLog(d), format(d, 'yyyy-MM-dd HH:mm:ss'), `${tz} ${ms} tod_log`);
      t.equal(todLogfile(d), format(d, 'yyyyMMdd'), `${tz} ${ms} tod_logfile`);
      t.equal(todZone(d), format(d, 'xx'), `${tz} ${ms} tod_zone`);
      t.equal(todBsdInbox(d), format(d, 'EEE MMM dd HH:mm:ss yyyy'), `${tz} ${ms} tod_bsdinbox`);
    }
  }
  process.env.TZ = 'UTC';
  t.equal(todFull(new Date(Date.UTC(2026, 11, 2, 14, 4, 57))), 'Wed, 02 Dec 2026 14:04:57 +0000');
});
