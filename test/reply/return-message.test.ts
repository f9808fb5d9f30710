import t from 'tap';
import { parseMessage } from '../../src/message/reader.js';
import { returnedMessage } from '../../src/reply/return-message.js';
import { bytes } from '../../src/bytes.js';

const RUBRIC = '------ This is a copy of the message, including all the headers.\n';

t.test('a small message is copied whole after the rubric', async (t) => {
  const m = parseMessage(bytes('Subject: s\nTo: a@b\n\nline\n'));
  t.equal(returnedMessage(m, 102400), `\n${RUBRIC}\nSubject: s\nTo: a@b\n\nline\n`);
});

// Exim: rubric when body + 19 > (limit/8192 + 1) * 8192; the copy is cut at the limit.
t.test('the size rubric appears only past the rounded limit, naming body + 19', async (t) => {
  const limit = 102400; // rounded: 106496
  const atEdge = parseMessage(bytes('Subject: s\n\n' + 'x'.repeat(106496 - 19)), limit);
  const copy = returnedMessage(atEdge, limit);
  t.ok(copy.startsWith(`\n${RUBRIC}\n`), 'no size rubric at exactly the rounded limit');
  t.equal(copy.length, `\n${RUBRIC}\n`.length + 'Subject: s\n\n'.length + limit, 'body cut at the limit');

  const over = parseMessage(bytes('Subject: s\n\n' + 'x'.repeat(106496 - 18)), limit);
  t.ok(
    returnedMessage(over, limit).startsWith(
      `\n${RUBRIC}------ The body of the message is 106497 characters long; only the first\n------ 106000 or so are included here.\n\n`,
    ),
  );
});

t.test('the cut is exact, even in the middle of a line', async (t) => {
  const m = parseMessage(bytes('Subject: s\n\nabcdef\nghij\n'), 10);
  t.ok(returnedMessage(m, 10).endsWith('\n\nabcdef\nghi'));
});

t.test('a limit of 0 copies everything and never shows the size rubric', async (t) => {
  const body = 'y'.repeat(300000);
  const m = parseMessage(bytes('Subject: s\n\n' + body), Infinity);
  t.equal(returnedMessage(m, 0), `\n${RUBRIC}\nSubject: s\n\n${body}`);
});
