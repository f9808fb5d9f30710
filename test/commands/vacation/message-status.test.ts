/**
 * The default ~/.vacation.msg and what `status` prints
 * (src/commands/vacation/message-text.ts, status-report.ts).
 */
import t from 'tap';
import { defaultMessage, expansionProblems, firstLine } from '../../../src/commands/vacation/message-text.js';
import { statusLines, type StatusFacts } from '../../../src/commands/vacation/status-report.js';
import { bytes, toText } from '../../../src/bytes.js';

t.test('the default text names the user and the return', async (t) => {
  const plain = defaultMessage({ fullName: '', name: 'carol' });
  t.equal(plain, 'I am away and not reading my mail at the moment.\nYour message ${if def:h_subject: {"$h_subject:" }}will be read when I am back.\n\nBest regards,\ncarol\n');
  const dated = defaultMessage({ fullName: 'Zoë Example', name: 'zoe', end: { at: new Date(2026, 6, 26, 23, 59), dateOnly: true } });
  t.match(toText(dated), /^I am away until Sunday 26 July 2026 and not reading my mail\.\n(.*\n)*Zoë Example\n$/, 'UTF-8 name');
  const timed = defaultMessage({ fullName: 'Carol', name: 'carol', end: { at: new Date(2026, 6, 26, 17, 30), dateOnly: false } });
  t.match(timed, /^I am away until Sunday 26 July 2026, 17:30 and not reading my mail\./);
  t.same(expansionProblems(dated, '/home/zoe', 'zoe'), []);
  t.same(expansionProblems(bytes('ok\n${if eq{a}\nfine $home\n'), '/home/zoe', 'zoe').map((p) => p.line), [2], 'the line that fails');
  t.equal(firstLine(bytes('\n\n  Back on Monday.  \nmore\n')), 'Back on Monday.');
  t.equal(firstLine(bytes('x'.repeat(100))), `${'x'.repeat(69)}...`);
  t.equal(firstLine(bytes('Zo\xc3\xab is away\n')), 'Zoë is away', 'shown as text');
});

t.test('status lines', async (t) => {
  const base: StatusFacts = {
    now: new Date('2026-07-14T10:00:00Z'),
    forward: { state: 'on', since: new Date('2026-07-12T08:03:00Z'), settings: { program: '/usr/local/bin/autoreply', aliases: [] }, previous: 'none', consistent: true },
    schedule: {},
    paths: { forward: '/home/c/.forward', saved: '/home/c/.forward.autoreply-saved', message: '/home/c/.vacation.msg', once: '/home/c/.vacation' },
    message: 'Back on Monday.',
    answered: { kind: 'entries', correspondents: 1, sinceOn: 1, replies: 1, last: new Date('2026-07-13T08:00:00Z') },
  };
  const lines = statusLines(base);
  t.equal(lines.length, 5);
  t.match(lines[0], /^vacation:  on since 2026-07-1[12] \d\d:03 [+-]\d\d:\d\d$/);
  t.equal(lines[1], 'replies:   until switched off');
  t.equal(lines[2], 'message:   "Back on Monday." (/home/c/.vacation.msg)');
  t.match(lines[3], /^answered:  1 correspondent since it was switched on; in all 1 correspondent \(1 reply\), the last on 2026-07-1[34] .* \(\/home\/c\/\.vacation\)$/);
  t.equal(lines[4], '.forward:  written by "autoreply vacation on" (there was none before; "off" removes it)');

  const edited = statusLines({ ...base, forward: { ...(base.forward as Extract<StatusFacts['forward'], { state: 'on' }>), consistent: false } });
  t.match(edited[4], /changed since "autoreply vacation on" wrote it/);
  const noMessage = statusLines({ ...base, message: undefined, answered: { kind: 'none' } });
  t.match(noMessage[2], /^message:   none: \/home\/c\/\.vacation\.msg does not exist \(replies fail until it does\)$/);
  t.match(noMessage[3], /^answered:  nobody yet \(\/home\/c\/\.vacation does not exist\)$/);
  const broken = statusLines({ ...base, answered: { kind: 'error', reason: 'once database /home/c/.vacation: permission denied' } });
  t.equal(broken[3], 'answered:  unknown: once database /home/c/.vacation: permission denied');
  const off = statusLines({ ...base, forward: { state: 'off' }, answered: { kind: 'entries', correspondents: 3, replies: 4 } });
  t.same(off, ['vacation:  off', 'message:   "Back on Monday." (/home/c/.vacation.msg, kept for next time)', 'answered:  3 correspondents (4 replies) (/home/c/.vacation)']);
});
