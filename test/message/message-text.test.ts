// Quoting the message (issue 13): $message_text, $message_quote and a reply
// file's {quote} / {quote N} — the incoming text as a reader sees it, decoded by
// mailparser — through whole deliveries (in process, a fake sendmail keeping the
// exact reply bytes). Expected values are written out here.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { fakeSendmail } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';
import { quoteLines, tidyText } from '../../src/message/message-text.js';
import { scanPlaceholders } from '../../src/reply/reply-file/placeholders.js';
import { bytes } from '../../src/bytes.js';

const HEAD =
  'From: Alice Example <alice@remote.example>\nTo: Bob <bob@example.com>\nSubject: Lunch\n' +
  'Message-ID: <q.1@remote.example>\nMIME-Version: 1.0\n';
const ENVELOPE = ['--sender', 'alice@remote.example', '--recipient', 'bob@example.com'];
const OPTIONS = ['--to', '$reply_address', '--subject', 'Re: $h_subject:'];
/** The reply's header block when its body is 8-bit UTF-8 (as the project labels non-ASCII text). */
const REPLY_HEAD_UTF8 =
  'To: Alice Example <alice@remote.example>\nSubject: Re: Lunch\nIn-Reply-To: <q.1@remote.example>\n' +
  'References: <q.1@remote.example>\nAuto-Submitted: auto-replied\n' +
  'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n';
const REPLY_HEAD_ASCII =
  'To: Alice Example <alice@remote.example>\nSubject: Re: Lunch\nIn-Reply-To: <q.1@remote.example>\n' +
  'References: <q.1@remote.example>\nAuto-Submitted: auto-replied\n\n';

/** The reply bytes (a latin1 string) as the UTF-8 text they hold. */
const utf8 = (bytes: string) => Buffer.from(bytes, 'latin1').toString('utf8');

function tempDir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'autoreply-quote-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** One delivery with `text` as the text option; the reply sendmail got (or undefined), exit code and stderr. */
async function reply(message: string, text: string, extra: string[] = []) {
  const sm = fakeSendmail();
  const r = await deliverRun([...ENVELOPE, ...OPTIONS, '--text', text, '--sendmail', sm.path, ...extra], message);
  const sent = sm.messages()[0];
  rmSync(sm.dir, { recursive: true, force: true });
  return { ...r, sent };
}

t.test('quoted-printable ISO-8859-1: decoded, and written into the reply as UTF-8 with MIME labels', async (t) => {
  const msg =
    HEAD +
    'Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n' +
    'Caf=E9 cr=E8me br=FBl=E9e =\nis on the menu.\n\n-- =\n\nAlice\n';
  const r = await reply(msg, 'You wrote:\n$message_quote\n');
  t.equal(r.code, 0, r.stderr);
  t.equal(utf8(r.sent!), REPLY_HEAD_UTF8 + 'You wrote:\n> Café crème brûlée is on the menu.\n>\n> -- \n> Alice\n');
  t.match(r.sent!, /> Caf\xc3\xa9 cr\xc3\xa8me/, 'the bytes are UTF-8');
  const parsed = await simpleParser(Buffer.from(r.sent!, 'latin1'));
  t.equal(parsed.text, 'You wrote:\n> Café crème brûlée is on the menu.\n>\n> -- \n> Alice\n', 'a mail client reads the quote');
});

t.test('8-bit ISO-8859-1 text is decoded from its charset', async (t) => {
  const msg = HEAD + 'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nGr\xfc\xdfe aus K\xf6ln\n';
  const r = await reply(msg, '$message_text');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.sent, REPLY_HEAD_UTF8 + 'Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\n');
});

t.test('base64 UTF-8 text', async (t) => {
  const msg =
    HEAD + 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n' + 'SGVsbG8gQm9iLApzZWUgeW91IGF0IDEyOjMwIOKAlCBhdCB0aGUgY2Fmw6kuCg==\n';
  const r = await reply(msg, 'You wrote:\n$message_quote\n');
  t.equal(r.code, 0, r.stderr);
  t.equal(utf8(r.sent!), REPLY_HEAD_UTF8 + 'You wrote:\n> Hello Bob,\n> see you at 12:30 — at the café.\n');
});

t.test('multipart/alternative: the text/plain part, not the HTML one', async (t) => {
  const msg =
    HEAD +
    'Content-Type: multipart/mixed; boundary="outer"\n\n' +
    'preamble\n--outer\nContent-Type: multipart/alternative; boundary="alt"\n\n' +
    '--alt\nContent-Type: text/plain; charset=us-ascii\n\nPlain version,\nsecond line.\n' +
    '--alt\nContent-Type: text/html; charset=us-ascii\n\n<p>HTML <b>version</b></p>\n--alt--\n' +
    '--outer\nContent-Type: application/pdf; name="menu.pdf"\nContent-Disposition: attachment; filename="menu.pdf"\n' +
    'Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--outer--\n';
  const r = await reply(msg, 'You wrote:\n$message_quote\n');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.sent, REPLY_HEAD_ASCII + 'You wrote:\n> Plain version,\n> second line.\n');
});

t.test('HTML only: the HTML turned into text', async (t) => {
  const msg =
    HEAD +
    'Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n' +
    '<html><head><style>p { color: red }</style></head><body>=\n' +
    '<p>Hello <b>Bob</b>,</p><p>lunch at <i>noon</i>&nbsp;=E2=80=94 ok?</p><ul><li>soup</li><li>salad</li></ul>=\n' +
    '</body></html>\n';
  const r = await reply(msg, 'You wrote:\n$message_quote\n');
  t.equal(r.code, 0, r.stderr);
  t.equal(utf8(r.sent!), REPLY_HEAD_UTF8 + 'You wrote:\n> Hello Bob,\n>\n> lunch at noon\u00a0— ok?\n>\n>  * soup\n>  * salad\n', '&nbsp; is U+00A0');
});

const LINES_25 = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const QUOTED_20 =
  '> line 1\n> line 2\n> line 3\n> line 4\n> line 5\n> line 6\n> line 7\n> line 8\n> line 9\n> line 10\n' +
  '> line 11\n> line 12\n> line 13\n> line 14\n> line 15\n> line 16\n> line 17\n> line 18\n> line 19\n> line 20\n';

t.test('$message_quote: the first 20 lines; $message_text: all of them', async (t) => {
  const msg = HEAD + 'Content-Type: text/plain\n\n\n\n' + LINES_25 + '\n\n';
  const q = await reply(msg, '$message_quote');
  t.equal(q.code, 0, q.stderr);
  t.equal(q.sent, REPLY_HEAD_ASCII + QUOTED_20, 'leading and trailing blank lines dropped, cut after 20 lines');
  const all = await reply(msg, '[$message_text]');
  t.equal(all.sent, REPLY_HEAD_ASCII + '[' + LINES_25.slice(0, -1) + ']\n', 'no final newline of its own');
  const ops = await reply(msg, '${uc:${extract{2}{\\n}{$message_text}}} of ${eval:$body_linecount}');
  t.equal(ops.sent, REPLY_HEAD_ASCII + 'LINE 2 of 29\n', 'it combines with the operators');
});

t.test('reply files: {quote} is 20 lines, {quote N} the first N; body only', async (t) => {
  const dir = tempDir(t);
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const msg = HEAD + 'Content-Type: text/plain\n\n' + LINES_25;
  const run = async (path: string) => {
    const sm = fakeSendmail();
    const r = await deliverRun([...ENVELOPE, '--reply-file', path, '--sendmail', sm.path], msg);
    return { ...r, sent: sm.messages()[0] };
  };
  const rf = 'Subject: Re: {subject}\n\nYou wrote:\n{quote 3}\n[{QUOTE 1}]\nand in full:\n{quote}\n';
  const r = await run(file('three.txt', rf));
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.sent,
    'To: alice@remote.example\nSubject: Re: Lunch\nIn-Reply-To: <q.1@remote.example>\nReferences: <q.1@remote.example>\nAuto-Submitted: auto-replied\n\n' +
      'You wrote:\n> line 1\n> line 2\n> line 3\n[> line 1]\nand in full:\n' +
      QUOTED_20,
  );
  const inHeader = await run(file('header.txt', 'Subject: {quote 1}\n\nbody\n'));
  t.equal(inHeader.code, 78);
  t.equal(inHeader.stderr, `autoreply: reply file ${join(dir, 'header.txt')}, line 1: {quote} can only be used in the body\n`);
  const zero = await run(file('zero.txt', '\n{quote 0}\n'));
  t.equal(zero.code, 78);
  t.equal(zero.stderr, `autoreply: reply file ${join(dir, 'zero.txt')}, line 2: {quote N} takes a number of lines from 1 to 100000, not 0\n`);
});

t.test('reply files: in a text/html part the quote is HTML-escaped', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'away.txt');
  writeFileSync(
    path,
    'Subject: Away\nContent-Type: multipart/alternative; boundary="b1"\n\n' +
      '--b1\nContent-Type: text/plain; charset=utf-8\n\n{quote 2}\n' +
      '--b1\nContent-Type: text/html; charset=utf-8\n\n<pre>{quote 2}</pre>\n--b1--\n',
  );
  const sm = fakeSendmail();
  const msg = HEAD + 'Content-Type: text/plain\n\n<script>x</script> & "y"\n--b1\n';
  const r = await deliverRun([...ENVELOPE, '--reply-file', path, '--sendmail', sm.path], msg);
  t.equal(r.code, 0, r.stderr);
  const body = sm.messages()[0]!.split('\n\n').slice(1).join('\n\n');
  t.equal(
    body,
    '--b1\nContent-Type: text/plain; charset=utf-8\n\n> <script>x</script> & "y"\n> --b1\n' +
      '--b1\nContent-Type: text/html; charset=utf-8\n\n<pre>&gt; &lt;script&gt;x&lt;/script&gt; &amp; &quot;y&quot;\n&gt; --b1</pre>\n--b1--\n',
    'HTML-escaped in the HTML part; quoted, a "--b1" line of the message cannot end a part',
  );
});

t.test('placeholder scanning: {quote}, {quote N}, any case; other braces stay', async (t) => {
  const scan = (s: string) => scanPlaceholders(bytes(s), 'r.txt', 1);
  t.same(scan('a {quote} b {Quote 5}').tokens, [
    { kind: 'text', text: 'a ' },
    { kind: 'quote', lines: 20, file: 'r.txt', line: 1 },
    { kind: 'text', text: ' b ' },
    { kind: 'quote', lines: 5, file: 'r.txt', line: 1 },
  ]);
  t.same(scan('{quote me on this} {quote-x}').tokens, [{ kind: 'text', text: '{quote me on this} ' }, { kind: 'header', name: 'quote-x', file: 'r.txt', line: 1 }]);
  t.same(
    scan('{quote 5\n').problems.map((p) => p.message),
    ['unterminated "{quote 5": a placeholder ends with "}" on the same line (write \\{ for a literal brace)'],
  );
  t.same(
    scan('{quote 1000000}').problems.map((p) => p.message),
    ['{quote N} takes a number of lines from 1 to 100000, not 1000000'],
  );
});

t.test('a `file` with file_expand may quote too', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'body.txt');
  writeFileSync(path, 'Your message began:\n$message_quote\n');
  const msg = HEAD + 'Content-Type: text/plain\n\nFirst line\nsecond line\n';
  const r = await reply(msg, 'Away.', ['--file', path, '--file-expand', 'yes']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.sent, REPLY_HEAD_ASCII + 'Away.\nYour message began:\n> First line\n> second line\n');
});

t.test('--exim-strict: the variables are unknown, as in Exim', async (t) => {
  const msg = HEAD + 'Content-Type: text/plain\n\nhello\n';
  for (const name of ['message_text', 'message_quote']) {
    const r = await reply(msg, `Away. $${name}`, ['--exim-strict']);
    t.equal(r.code, 78, name);
    t.equal(r.stderr, `autoreply: Expansion of "Away. $${name}" failed: unknown variable name "${name}"\n`);
    t.equal(r.sent, undefined, 'nothing sent');
  }
  const braced = await reply(msg, 'x ${if def:message_text {yes}{no}}', ['--exim-strict']);
  t.equal(braced.code, 78);
  t.equal(braced.stderr, 'autoreply: Expansion of "x ${if def:message_text {yes}{no}}" failed: unknown variable "message_text" after "def:"\n');
});

t.test('no text, broken MIME, binary: an empty or partial quote, never a failure', async (t) => {
  const onlyAttachment =
    HEAD + 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n';
  const a = await reply(onlyAttachment, 'You wrote:\n$message_quote\n');
  t.equal(a.code, 0, a.stderr);
  t.equal(a.sent, REPLY_HEAD_ASCII + 'You wrote:\n\n');

  const broken =
    HEAD +
    'Content-Type: multipart/alternative; boundary=\nContent-Transfer-Encoding: base64\n\n' +
    '--\n\x00\x01\x02\xff\xfe garbage =?=\n--b\nContent-Type: text/html\n\n<p<<b>unclosed\n';
  const b = await reply(broken, 'You wrote:\n$message_quote\n');
  t.equal(b.code, 0, b.stderr);
  t.match(b.sent, /^To: Alice Example <alice@remote\.example>\n[\s\S]*\n\nYou wrote:\n/);

  const nul = HEAD + 'Content-Type: text/plain; charset=us-ascii\n\nbell\x07 nul\x00 esc\x1b tab\tend\r\nnext\n';
  const c = await reply(nul, '$message_quote');
  t.equal(c.sent, REPLY_HEAD_ASCII + '> bell nul esc tab\tend\n> next\n', 'control characters dropped (tab kept)');
});

t.test('bounded: at most 64 KiB of text, cut at a character boundary; a text past the first MiB is not read', async (t) => {
  const big = HEAD + 'Content-Type: text/plain; charset=utf-8\n\n' + ('\xc3\xa9'.repeat(39) + '\n').repeat(3000);
  const r = await reply(big, '${strlen:$message_text}');
  t.equal(r.code, 0, r.stderr);
  // 65536 bytes of 79-byte lines: 829 whole lines (65491 bytes), then 22 characters of 2 bytes (the 23rd would end at 65537)
  t.equal(r.sent, REPLY_HEAD_ASCII + '65535\n');

  const late = HEAD + 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\n\n' + 'x'.repeat(1100 * 1024) + '\n--b\nContent-Type: text/plain\n\nlate text\n--b--\n';
  const l = await reply(late, 'You wrote:\n$message_quote\n');
  t.equal(l.code, 0, l.stderr);
  t.equal(l.sent, REPLY_HEAD_ASCII + 'You wrote:\n\n');
});

t.test('quoteLines and tidyText', async (t) => {
  t.equal(quoteLines(bytes(''), 5), '');
  t.equal(quoteLines(bytes('a\n\nb\nc'), 3), '> a\n>\n> b');
  t.equal(quoteLines(bytes('> already quoted'), 1), '> > already quoted');
  t.equal(tidyText('\r\n  \n\ta\r\nb\rc\n\n \n'), '\ta\nb\nc');
  t.equal(tidyText('d\u00e9j\u00e0'), 'd\xc3\xa9j\xc3\xa0', 'UTF-8 bytes');
});
