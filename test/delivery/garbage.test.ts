import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { fakeSendmail, PERSONAL } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';

const args = (sm: string) => ['--recipient', 'bob@example.com', '--sender', 'alice@remote.example', '--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Away.', '--sendmail', sm];

/** Garbage must either get a sensible reply or a clean 65 — never a crash. */
function sane(t: Test, code: number | null, stderr: string) {
  t.ok(code === 0 || code === 65, `exit ${code} is 0 or 65`);
  t.notMatch(stderr, /\n\s+at |Node\.js v\d+|internal error/, 'no crash');
  t.ok(stderr.split('\n').filter(Boolean).length <= 1, 'at most one line on stderr');
}

t.test('random binary input', async (t) => {
  for (let i = 0; i < 5; i++) {
    const sm = fakeSendmail();
    const r = await deliverRun(args(sm.path), randomBytes(4096));
    sane(t, r.code, r.stderr);
  }
});

t.test('NUL bytes in headers and body', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun(args(sm.path), PERSONAL.replace('Lunch', 'Lu\0nch').replace('Hi Bob', 'Hi\0\0Bob'));
  sane(t, r.code, r.stderr);
});

t.test('invalid UTF-8 in the subject is RFC 2047 encoded as ISO-8859-1, not refused', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun(args(sm.path), PERSONAL.replace('Lunch on Friday?', 'Caf\xe9 \xc3\x28'));
  t.equal(r.code, 0);
  t.match(sm.messages()[0], /^Subject: Re: =\?ISO-8859-1\?/m);
});

t.test('no header/body separator at all', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun(args(sm.path), 'From: alice@remote.example\nTo: bob@example.com\nSubject: no body');
  t.equal(r.code, 0);
  t.match(sm.messages()[0], /^Subject: Re: no body$/m);
});

t.test('a 2 MB header line: not answered (malformed), input drained; 65 under --exim-strict', async (t) => {
  const sm = fakeSendmail();
  const input = 'X-Big: ' + 'a'.repeat(2 * 1024 * 1024) + '\n' + PERSONAL;
  const r = await deliverRun([...args(sm.path), '--verbose'], input);
  t.equal(r.code, 0);
  t.match(r.stderr, /no reply: malformed: the incoming message: its header block is larger than 1048576 bytes/);
  t.same(sm.messages(), []);
  const strict = await deliverRun([...args(sm.path), '--exim-strict'], input);
  t.equal(strict.code, 65);
  t.match(strict.stderr, /header block is larger than/);
  t.same(sm.messages(), []);
});

t.test('broken MIME structure does not matter: only the header block is read', async (t) => {
  const sm = fakeSendmail();
  const msg = PERSONAL.replace('Subject:', 'Content-Type: multipart/mixed; boundary=\nSubject:').replace('Hi Bob', '--x\nContent-Type: text/plain; charset="\n--x--');
  const r = await deliverRun(args(sm.path), msg);
  t.equal(r.code, 0);
  t.equal(sm.messages().length, 1);
});

t.test('empty input', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun(args(sm.path), '');
  sane(t, r.code, r.stderr);
});
