import t from 'tap';
import { parseEximTime } from '../../src/time/exim-time.js';

t.test('valid Exim time values', async (t) => {
  const cases: [string, number][] = [
    ['5d4h', 5 * 86400 + 4 * 3600],
    ['2w', 14 * 86400],
    ['30m', 1800],
    ['10s', 10],
    ['0h0m2s', 2],
    ['12h', 43200],
    ['1w2d3h4m5s', 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5],
    ['0s', 0],
    ['0', 0],
    ['7d', 604800],
  ];
  for (const [s, v] of cases) t.equal(parseEximTime(s), v, s);
});

t.test('invalid Exim time values (as readconf_readtime rejects them)', async (t) => {
  for (const s of ['30', '2 days', '', 'd', '5x', '5d ', ' 5d', '-5s', '1.5h', '5d4', 'h5', '5D', '00']) {
    t.equal(parseEximTime(s), undefined, JSON.stringify(s));
  }
});
