import t from 'tap';
import { AutoreplyError } from '../../src/errors.js';
import { parseScheduleBound } from '../../src/rules/schedule-parse.js';

// Whole days are local time: compare with local-time Date constructors.
t.test('YYYY-MM-DD covers the whole local day, both ends', async (t) => {
  t.equal(parseScheduleBound('2025-07-01', 'start').getTime(), new Date(2025, 6, 1, 0, 0, 0, 0).getTime());
  t.equal(parseScheduleBound('2025-07-14', 'end').getTime(), new Date(2025, 6, 14, 23, 59, 59, 999).getTime());
  t.equal(parseScheduleBound(' 2024-02-29 ', 'end').getTime(), new Date(2024, 1, 29, 23, 59, 59, 999).getTime());
});

t.test('date-times with and without zone', async (t) => {
  t.equal(parseScheduleBound('2025-07-01T09:00Z', 'start').toISOString(), '2025-07-01T09:00:00.000Z');
  t.equal(parseScheduleBound('2025-07-01T09:00:00+02:00', 'start').toISOString(), '2025-07-01T07:00:00.000Z');
  t.equal(parseScheduleBound('2025-07-01T09:00:00-0500', 'start').toISOString(), '2025-07-01T14:00:00.000Z');
  t.equal(parseScheduleBound('2025-07-01 09:30', 'start').getTime(), new Date(2025, 6, 1, 9, 30).getTime());
  t.equal(parseScheduleBound('2025-07-01T09:30:15.250Z', 'start').toISOString(), '2025-07-01T09:30:15.250Z');
});

t.test('an end date-time includes the minute or second it names', async (t) => {
  t.equal(parseScheduleBound('2025-07-14T17:00Z', 'end').toISOString(), '2025-07-14T17:00:59.999Z');
  t.equal(parseScheduleBound('2025-07-14T17:00:00Z', 'end').toISOString(), '2025-07-14T17:00:00.999Z');
  t.equal(parseScheduleBound('2025-07-14T17:00:00.500Z', 'end').toISOString(), '2025-07-14T17:00:00.500Z');
});

t.test('nonsense is a usage error (exit 64)', async (t) => {
  for (const bad of ['', 'tomorrow', '2025-02-30', '2025-13-01', '2025-7-1', '07/01/2025', '2025-07-01T25:00', '2025-07', '2025-W27-1']) {
    let caught: unknown;
    try {
      parseScheduleBound(bad, 'start');
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof AutoreplyError && caught.exitCode === 64, bad);
  }
});
