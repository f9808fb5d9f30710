/**
 * The ~/.forward that `autoreply vacation on` writes and `off` takes back
 * (src/commands/vacation/forward-file.ts): pure functions over the file's bytes.
 */
import t, { type Test } from 'tap';
import {
  ForwardRefusal,
  commandLine,
  examineForward,
  parseCommandLine,
  planOff,
  planOn,
  readOurs,
  renderForward,
  type VacationSettings,
} from '../../../src/commands/vacation/forward-file.js';

const PROGRAM = '/usr/local/bin/autoreply';
const settings: VacationSettings = { program: PROGRAM, aliases: [] };
const NOW = new Date('2026-07-12T08:03:04.567Z');
const SINCE = '2026-07-12T08:03:04Z';
const FORWARD = '/home/carol/.forward';
const SAVED = '/home/carol/.forward.autoreply-saved';
const MARK_NONE = `# autoreply vacation on since ${SINCE}; "autoreply vacation off" removes this file (there was no .forward before)`;
const MARK_SAVED = `# autoreply vacation on since ${SINCE}; "autoreply vacation off" puts back the previous .forward, saved as .forward.autoreply-saved`;
const PIPE = `"|${PROGRAM} vacation --fire-and-forget"`;

const on = (current: string | undefined, saved?: string, s: VacationSettings = settings, now = NOW) =>
  planOn({ current, saved, user: 'carol', settings: s, now, forwardName: FORWARD });
const off = (current: string | undefined, saved?: string) => planOff({ current, saved, user: 'carol', forwardName: FORWARD });

/** The refusal's message (the test fails when there is none). */
function refusal(t: Test, f: () => unknown): string {
  try {
    f();
  } catch (err) {
    t.type(err, ForwardRefusal, 'a ForwardRefusal');
    const msg = (err as Error).message;
    t.notMatch(msg, /\n/, 'one line');
    return msg;
  }
  t.fail('no refusal');
  return '';
}

t.test('the pipe command', async (t) => {
  t.equal(commandLine(settings), `${PROGRAM} vacation --fire-and-forget`);
  const full: VacationSettings = { program: PROGRAM, start: '2026-07-13', end: '2026-07-26T17:00+02:00', aliases: ['carol@example.org', 'c.smith@example.org'] };
  const line = commandLine(full);
  t.equal(line, `${PROGRAM} vacation --fire-and-forget --start 2026-07-13 --end 2026-07-26T17:00+02:00 --alias carol@example.org --alias c.smith@example.org`);
  t.same(parseCommandLine(line), full, 'read back');
  t.equal(parseCommandLine(`${PROGRAM} vacation`), undefined, 'not ours: no --fire-and-forget');
  t.equal(parseCommandLine(`${PROGRAM} vacation --fire-and-forget --subject x`), undefined, 'an option on does not write');
  t.equal(parseCommandLine(`autoreply vacation --fire-and-forget`), undefined, 'a relative program');
  t.throws(() => commandLine({ ...settings, program: '/opt/my apps/autoreply' }), /unsafe word/, 'a space would split the command');
  t.throws(() => commandLine({ ...settings, end: '2026"' }), /unsafe word/);
});

t.test('no .forward: \\USER and the pipe', async (t) => {
  const plan = on(undefined);
  t.equal(plan.forward, `${MARK_NONE}\n\\carol, ${PIPE}\n`);
  t.same({ save: plan.saveCurrent, update: plan.update, previous: plan.previous, since: plan.since }, { save: false, update: false, previous: 'none', since: SINCE });
  t.notMatch(plan.forward.split('\n')[0]!, /^#\s*(exim|sieve)\s+filter/i, 'the first line does not make it a filter');
  const ours = readOurs(plan.forward)!;
  t.ok(ours, 'recognised as ours');
  t.equal(ours.since, SINCE);
  t.equal(ours.saved, false);
  t.same(ours.settings, settings);
  t.ok(ours.consistent(undefined, 'carol'), 'consistent with no saved file');
  t.notOk(ours.consistent('x@example.org\n', 'carol'), 'not with a saved file');
  t.same(off(plan.forward), { action: 'remove', since: SINCE }, 'off removes it');
});

t.test('a simple .forward is kept and the pipe added', async (t) => {
  const previous = '\\carol, other@example.org\n';
  const plan = on(previous);
  t.equal(plan.forward, `${MARK_SAVED}\n${previous}${PIPE}\n`, 'no second \\carol: the previous file delivers already');
  t.same({ save: plan.saveCurrent, previous: plan.previous }, { save: true, previous: 'saved' });
  t.ok(readOurs(plan.forward)!.consistent(previous, 'carol'));
  t.same(off(plan.forward, previous), { action: 'restore', since: SINCE }, 'off puts the saved one back');

  // mail that went elsewhere only goes on doing so: no \carol is added
  const away = 'carol@elsewhere.example.org';
  t.equal(on(away).forward, `${MARK_SAVED}\n${away}\n${PIPE}\n`, 'a line end added after a last line without one');
  // file and folder deliveries, display names, several lines
  const mixed = '\\carol\n/home/carol/Mail/archive\n"Carol at work, desk 3" <carol@work.example>, ~/Maildir/, "carol smith"@example.org\n"/home/carol/a, b"\n';
  const ex = examineForward(mixed);
  t.ok(ex.ok);
  if (ex.ok) {
    t.same(
      ex.items.map((i) => [i.kind, i.value]),
      [
        ['address', '\\carol'],
        ['file', '/home/carol/Mail/archive'],
        ['address', '"Carol at work, desk 3" <carol@work.example>'],
        ['file', '~/Maildir/'],
        ['address', '"carol smith"@example.org'],
        ['file', '/home/carol/a, b'],
      ],
      'the items as Exim reads them (exim -bf)',
    );
  }
  t.equal(on(mixed).forward, `${MARK_SAVED}\n${mixed}${PIPE}\n`);
});

t.test('a .forward that delivers nowhere gets \\USER', async (t) => {
  for (const previous of ['', '\n\n', '# nothing here yet\n', '# a comment\n  \n\n']) {
    const plan = on(previous);
    t.equal(plan.forward, `${MARK_SAVED}\n${previous}\\carol, ${PIPE}\n`, JSON.stringify(previous));
    t.equal(plan.saveCurrent, true, 'still saved, to come back exactly');
    t.same(off(plan.forward, previous), { action: 'restore', since: SINCE });
  }
});

t.test('comments are kept verbatim', async (t) => {
  const previous = '# my forwarding\n\\carol\n\n# and a copy to my phone\ncarol@phone.example\n';
  const plan = on(previous);
  t.equal(plan.forward, `${MARK_SAVED}\n${previous}${PIPE}\n`);
  const trailing = '\\carol, carol@phone.example # my phone\n';
  t.match(refusal(t, () => on(trailing)), /line 1: a "#" after an item/, 'a # after an item: Exim and sendmail disagree');
  t.match(
    refusal(t, () => on('\\carol\n  # an indented comment\n')),
    /line 2: a comment that does not start the line \(Exim skips it, Postfix reads it as an address\)/,
    'Postfix skips only lines that start with #',
  );
});

t.test('CRLF line ends are kept, and used for the added lines', async (t) => {
  const previous = '\\carol,\r\nother@example.org\r\n';
  const plan = on(previous);
  t.equal(plan.forward, `${MARK_SAVED}\r\n${previous}${PIPE}\r\n`);
  t.ok(readOurs(plan.forward)!.consistent(previous, 'carol'), 'read back');
  t.same(off(plan.forward, previous), { action: 'restore', since: SINCE });
  const noEnd = '\\carol\r\nother@example.org';
  t.equal(on(noEnd).forward, `${MARK_SAVED}\r\n${noEnd}\r\n${PIPE}\r\n`, 'the missing line end is CRLF too');
  t.match(refusal(t, () => on('\\carol\rother@example.org\n')), /carriage return that does not end a line/);
});

t.test('pipes are refused', async (t) => {
  t.match(refusal(t, () => on('\\carol, "|/usr/bin/procmail"\n')), /^\/home\/carol\/\.forward pipes mail into a program \("\|\/usr\/bin\/procmail", line 1\)/);
  t.match(refusal(t, () => on('\\carol\n|/usr/bin/vacation carol\n')), /pipes mail into a program \("\|\/usr\/bin\/vacation carol", line 2\)/, 'vacation(1): two auto-responders');
  const hand = refusal(t, () => on('\\carol, "|/usr/local/bin/autoreply vacation"\n'));
  t.match(hand, /already pipes mail into autoreply .*not written by "autoreply vacation on"/, 'the README example, by hand');
  t.match(refusal(t, () => on('\\carol, "|autoreply --reply-file /home/carol/r.txt"\n')), /already pipes mail into autoreply/);
});

t.test('filters are refused', async (t) => {
  t.match(refusal(t, () => on('# Exim filter\nunseen pipe "/usr/local/bin/autoreply vacation"\n')), /is an Exim filter \("# Exim filter"\), which autoreply does not edit/);
  t.match(refusal(t, () => on('\n  #exim   FILTER\nif $h_subject: contains "x" then save x endif\n')), /is an Exim filter/, 'after blank lines, any case and spacing');
  t.match(refusal(t, () => on('# Sieve filter\nrequire "vacation";\n')), /is a Sieve filter/);
  t.ok(examineForward('\\carol\n# Exim filter (not: this is not the first line)\n').ok, 'a later line is a comment');
});

t.test('includes, specials, quotes and binary data are refused', async (t) => {
  t.match(refusal(t, () => on('\\carol, :include:/home/carol/more\n')), /includes another file \(":include:\/home\/carol\/more", line 1\)/);
  t.match(refusal(t, () => on(':blackhole:\n')), /has ":blackhole:" \(line 1\), which drops or refuses mail/);
  t.match(refusal(t, () => on('\\carol, ":fail: gone"\n')), /":fail: gone"/);
  t.match(refusal(t, () => on('\\carol, "|/bin/true\n')), /line 1: a quoted item without its closing quote/);
  t.match(refusal(t, () => on('\\carol\0\n')), /not a text file/);
});

t.test('on again: new settings, the same saved file and "since"', async (t) => {
  const previous = '\\carol, other@example.org\n';
  const first = on(previous);
  const later = new Date('2026-07-15T00:00:00Z');
  const changed: VacationSettings = { ...settings, end: '2026-07-30', aliases: ['carol@example.org'] };
  const again = on(first.forward, previous, changed, later);
  t.same({ update: again.update, save: again.saveCurrent, since: again.since, previous: again.previous }, { update: true, save: false, since: SINCE, previous: 'saved' });
  t.equal(again.forward, `${MARK_SAVED}\n${previous}"|${PROGRAM} vacation --fire-and-forget --end 2026-07-30 --alias carol@example.org"\n`);
  t.same(readOurs(again.forward)!.settings, changed);
  t.same(off(again.forward, previous), { action: 'restore', since: SINCE });

  const none = on(undefined);
  const none2 = on(none.forward, undefined, changed, later);
  t.equal(none2.forward, `${MARK_NONE}\n\\carol, "|${PROGRAM} vacation --fire-and-forget --end 2026-07-30 --alias carol@example.org"\n`);
});

t.test('a .forward changed while on is left alone', async (t) => {
  const previous = '\\carol\n';
  const plan = on(previous);
  const edited = plan.forward.replace('\\carol\n', '\\carol\nboss@example.org\n');
  t.match(refusal(t, () => on(edited, previous)), /was changed since "autoreply vacation on" wrote it: edit it yourself \(your previous \.forward is \/home\/carol\/\.forward\.autoreply-saved\)/);
  t.match(refusal(t, () => off(edited, previous)), /was changed since/);
  t.notOk(readOurs(edited)!.consistent(previous, 'carol'));
  // the saved file went missing
  t.match(refusal(t, () => off(plan.forward, undefined)), /was changed since/);
  // a saved file appeared although there was none
  const none = on(undefined);
  t.match(refusal(t, () => off(none.forward, 'x@example.org\n')), /exists although .* says there was no \.forward before/);
  // the pipe line edited
  t.match(refusal(t, () => off(none.forward.replace('--fire-and-forget', '--fire-and-forget --verbose'))), /was changed since/);
});

t.test('off without on', async (t) => {
  t.same(off(undefined), { action: 'none', removeSaved: false }, 'no .forward');
  t.same(off('\\carol, other@example.org\n'), { action: 'none', removeSaved: false }, "a .forward of the user's own");
  t.same(off('# Exim filter\nsave $home/x\n'), { action: 'none', removeSaved: false }, 'a filter');
  t.match(refusal(t, () => off('\\carol, "|/usr/local/bin/autoreply vacation"\n')), /already pipes mail into autoreply .*: remove that item yourself/, 'set up by hand: not ours to remove');
});

t.test('a saved file without our .forward', async (t) => {
  const previous = '\\carol, other@example.org\n';
  // an `on` interrupted after saving: the saved file equals the current one
  const plan = on(previous, previous);
  t.equal(plan.saveCurrent, true);
  t.equal(plan.forward, `${MARK_SAVED}\n${previous}${PIPE}\n`);
  t.same(off(previous, previous), { action: 'none', removeSaved: true }, 'off drops the leftover copy');
  // anything else: never overwritten
  t.match(refusal(t, () => on('\\carol\n', previous)), /\.forward\.autoreply-saved exists but \/home\/carol\/\.forward was not written by "autoreply vacation on"/);
  t.match(refusal(t, () => off('\\carol\n', previous)), /was not written by "autoreply vacation on" but .*\.forward\.autoreply-saved exists/);
  // the .forward was removed while on: off puts the saved one back, on refuses
  t.match(refusal(t, () => on(undefined, previous)), /exists but there is no \/home\/carol\/\.forward: "autoreply vacation off" puts it back/);
  t.same(off(undefined, previous), { action: 'restore', note: '/home/carol/.forward had been removed; the saved one is back' });
});

t.test('renderForward keeps the previous bytes exactly', async (t) => {
  const previous = 'caf\xc3\xa9@example.org\n\\carol\n'; // UTF-8 bytes, one char per byte
  const text = renderForward({ user: 'carol', previous, settings, since: SINCE });
  t.ok(text.includes(previous));
  t.equal(text.split('\n').length, 5);
});
