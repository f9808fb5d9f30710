/**
 * Header injection: message data must never write a header line of the reply
 * (SPEC 5). `sendmail -t` reads the recipients from the header block, so a
 * forged `Bcc:` line would mail a third party. Each vector runs the real program
 * and looks at the exact bytes handed to the submission program.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeSendmail, tmp } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
const INJECTED = 'Hello\r\nBcc: victim@elsewhere.example';

const message = (headers: string) =>
  Buffer.from(
    ['From: Alice Example <alice@remote.example>', 'To: Bob <bob@example.com>', 'Message-ID: <m1@remote.example>', headers, '', 'Hi Bob.', ''].join('\n'),
    'latin1',
  );

const base = ['--sender', 'alice@remote.example', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'Away.'];

/** The header names of a submitted reply's header block, in order. */
function headerNames(reply: string): string[] {
  const block = reply.slice(0, reply.indexOf('\n\n'));
  return block
    .split('\n')
    .filter((l) => l !== '' && l[0] !== ' ' && l[0] !== '\t')
    .map((l) => l.slice(0, l.indexOf(':')));
}

const VECTORS: [string, string][] = [
  ['an RFC 2047 B word decoding to CR LF', `Subject: =?utf-8?B?${b64(INJECTED)}?=`],
  ['an RFC 2047 Q word decoding to CR LF', 'Subject: =?utf-8?Q?Hello=0D=0ABcc:_victim@elsewhere.example?='],
  ['a Latin-1 Q word decoding to CR LF', 'Subject: =?iso-8859-1?Q?Caf=E9=0D=0ABcc:_victim@elsewhere.example?='],
  ['a Latin-1 B word decoding to CR LF', `Subject: =?iso-8859-1?B?${b64('Caf\xe9\r\nBcc: victim@elsewhere.example')}?=`],
  ['two Subject headers (joined with a newline)', 'Subject: Hello\nSubject: Bcc: victim@elsewhere.example'],
  ['an encoded LF alone', 'Subject: =?utf-8?Q?Hello=0ABcc:_victim@elsewhere.example?='],
];

for (const option of ['--headers=X-Orig-Subject: $h_subject:', '--subject=Re: $h_subject:', '--headers=X-A: a\\nX-Orig: ${lc:$h_subject:}\\nX-B: b']) {
  t.test(`${option}: no forged header line, the message is not answered (malformed)`, async (t) => {
    for (const [what, header] of VECTORS) {
      const sm = fakeSendmail();
      const dir = tmp();
      const log = join(dir, 'reply.log');
      const r = await deliverRun([...base, option, '--sendmail', sm.path, '--log', log, '--verbose'], message(header));
      t.equal(r.code, 0, `${what}: exit 0, not an error that would bounce to the sender`);
      t.same(sm.messages(), [], `${what}: nothing submitted`);
      t.match(r.stderr, /no reply: malformed: /, `${what}: --verbose names the rule`);
      t.match(readFileSync(log, 'latin1'), /\n {2}not sent to .*: malformed\n$/, `${what}: the log says so`);
    }
  });
}

t.test('a folded Subject is a continuation line of the header, and is answered', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun([...base, '--headers', 'X-Orig-Subject: $h_subject:', '--sendmail', sm.path], message('Subject: Hello\n  Bcc: not-a-header@elsewhere.example'));
  t.equal(r.code, 0, r.stderr);
  const [reply] = sm.messages();
  t.ok(reply);
  t.match(reply!, 'X-Orig-Subject: Hello\n  Bcc: not-a-header@elsewhere.example\n');
  t.same(headerNames(reply!), ['To', 'In-Reply-To', 'References', 'Auto-Submitted', 'X-Orig-Subject']);
});

t.test('a NUL from an encoded word becomes "?", as in Exim: nothing to refuse', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun([...base, '--headers', 'X-Orig-Subject: $h_subject:', '--sendmail', sm.path], message('Subject: =?utf-8?Q?Hello=00Bcc:_x@elsewhere.example?='));
  t.equal(r.code, 0, r.stderr);
  t.match(sm.messages()[0], '\nX-Orig-Subject: Hello?Bcc: x@elsewhere.example\n');
});

t.test('newlines written in the configuration still separate header lines around message data', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun([...base, '--headers', 'X-A: $h_subject:\\nX-B: ${if def:h_subject {seen}}', '--sendmail', sm.path], message('Subject: Hello'));
  t.equal(r.code, 0, r.stderr);
  t.match(sm.messages()[0], 'X-A: Hello\nX-B: seen\n');
});

t.test('a bare CR in Message-ID or References does not reach the reply', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun(
    [...base, '--subject', 'Re: $h_subject:', '--sendmail', sm.path],
    Buffer.from(
      'From: Alice <alice@remote.example>\nTo: bob@example.com\nSubject: Hello\nMessage-ID: <a@b>\rBcc: victim@elsewhere.example\n' +
        'References: <r1@remote.example>\rBcc: victim@elsewhere.example <r2@remote.example>\n\nHi.\n',
      'latin1',
    ),
  );
  t.equal(r.code, 0, r.stderr);
  const [reply] = sm.messages();
  t.equal(
    reply,
    'To: Alice <alice@remote.example>\nSubject: Re: Hello\nIn-Reply-To: <a@b>\nReferences: <r1@remote.example> <a@b>\n' + 'Auto-Submitted: auto-replied\n\nAway.\n',
  );
});

t.test('a lone CR in From (to = $reply_address): malformed outside --exim-strict, 65 under it', async (t) => {
  const input = message('Subject: Hello').toString('latin1').replace('From: Alice Example <alice@remote.example>', 'From: alice@remote.example\rBcc: victim@elsewhere.example');
  const sm = fakeSendmail();
  const r = await deliverRun([...base, '--sendmail', sm.path, '--verbose'], Buffer.from(input, 'latin1'));
  t.equal(r.code, 0);
  t.match(r.stderr, /no reply: malformed: Expansion of "\$reply_address" contains non-printing character 13/);
  t.same(sm.messages(), []);
  const strict = await deliverRun([...base, '--sendmail', sm.path, '--exim-strict'], Buffer.from(input, 'latin1'));
  t.equal(strict.code, 65);
  t.equal(strict.stderr, 'autoreply: Expansion of "$reply_address" contains non-printing character 13\n');
});

t.test('an address with 8-bit bytes is not written raw into To:', async (t) => {
  for (const from of ['From: <caf\xe9@remote.example>', 'From: Caf\xc3\xa9 <caf\xc3\xa9@remote.example>']) {
    const sm = fakeSendmail();
    const input = message('Subject: Hello').toString('latin1').replace('From: Alice Example <alice@remote.example>', from);
    const r = await deliverRun([...base, '--sendmail', sm.path, '--verbose'], Buffer.from(input, 'latin1'));
    t.equal(r.code, 0);
    t.match(r.stderr, /no reply: malformed: a byte that is not ASCII \(\d+\) in the To header/);
    t.same(sm.messages(), []);
  }
});

t.test('a 100,000-character display name: folded when it has blanks, refused when it cannot be', async (t) => {
  const withBlanks = 'Aa '.repeat(20000) + '<alice@remote.example>';
  const sm = fakeSendmail();
  const input = (name: string) => Buffer.from(message('Subject: Hello').toString('latin1').replace('Alice Example <alice@remote.example>', name), 'latin1');
  const r = await deliverRun([...base, '--sendmail', sm.path, '--allow-daemon'], input(withBlanks));
  t.equal(r.code, 0, r.stderr);
  const [reply] = sm.messages();
  t.ok(reply, 'answered');
  const lines = reply!.slice(0, reply!.indexOf('\n\n')).split('\n');
  t.ok(
    lines.every((l) => l.length <= 998),
    `every header line within 998 characters (longest ${Math.max(...lines.map((l) => l.length))})`,
  );
  t.match(reply!, / Aa <alice@remote\.example>\nIn-Reply-To:/, 'the address kept whole on the last line');

  const sm2 = fakeSendmail();
  const r2 = await deliverRun([...base, '--sendmail', sm2.path, '--verbose'], input('A'.repeat(100000) + ' <alice@remote.example>'));
  t.equal(r2.code, 0);
  t.same(sm2.messages(), []);
  t.match(r2.stderr, /no reply: malformed: /);
});

t.test('a header block over 1 MB: not answered outside --exim-strict, 65 under it', async (t) => {
  const input = Buffer.from(message(`X-Junk: ${'x'.repeat(1100 * 1024)}`).toString('latin1'), 'latin1');
  const sm = fakeSendmail();
  const r = await deliverRun([...base, '--sendmail', sm.path, '--verbose'], input);
  t.equal(r.code, 0);
  t.match(r.stderr, /no reply: malformed: the incoming message: its header block is larger than 1048576 bytes/);
  t.same(sm.messages(), []);
  const strict = await deliverRun([...base, '--sendmail', sm.path, '--exim-strict'], input);
  t.equal(strict.code, 65);
  t.equal(strict.stderr, "autoreply: the incoming message's header block is larger than 1048576 bytes\n");
});
