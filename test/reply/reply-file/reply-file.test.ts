// PEP-style reply files through the real command line: the reply bytes a fake
// sendmail receives, exit codes, stderr lines and the once database.
import t, { type Test } from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { ALICE, autoreply, fakeSendmail, incoming, onceList, splitReply, tempDir } from './helpers.js';

const CONTEXT = ['--recipient', 'bob@example.com'];

function setup(t: Test, files: Record<string, string | Buffer>) {
  const dir = tempDir(t);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const sm = fakeSendmail(dir);
  const run = async (file: string, input = incoming(ALICE), extra: string[] = []) =>
    await autoreply(['--reply-file', join(dir, file), '--sendmail', sm.path, ...CONTEXT, ...extra], input);
  return { dir, sm, run };
}

t.test('placeholders, escapes and missing headers', async (t) => {
  const { sm, run } = setup(t, {
    'vacation.txt':
      'From: Bob <bob@example.com>\nSubject: Re: {subject}\n\n' +
      'Your message about "{Subject}" was received.\n' +
      'Literal: \\{subject} and \\\\ and a lone \\ backslash.\n' +
      'Missing: [{X-Not-There}]\nCSS stays: p { margin: 0 }\n',
  });
  const r = await run('vacation.txt');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '', 'nothing on stderr on success');
  t.equal(
    sm.messages()[0],
    'From: Bob <bob@example.com>\nTo: alice@remote.example\nSubject: Re: Lunch on Friday?\n' +
      'In-Reply-To: <lunch.1@remote.example>\nReferences: <lunch.1@remote.example>\nAuto-Submitted: auto-replied\n\n' +
      'Your message about "Lunch on Friday?" was received.\n' +
      'Literal: {subject} and \\ and a lone \\ backslash.\n' +
      'Missing: []\nCSS stays: p { margin: 0 }\n',
    'To: defaults to the envelope sender; threading and Auto-Submitted added',
  );
});

t.test('values are decoded, inserted once and never scanned again', async (t) => {
  const { sm, run } = setup(t, {
    'r.txt': 'To: {from}\nSubject: Re: {subject}\n\n{subject}\n',
    'secret.txt': 'SECRET\n',
  });
  const msg = incoming({ ...ALICE, From: '=?utf-8?q?Al=C3=AFce?= <alice@remote.example>', Subject: '=?utf-8?q?D=C3=A9j=C3=A0?= {include secret.txt} {*} \\{x}' });
  t.equal((await run('r.txt', msg)).code, 0);
  const reply = sm.messages()[0]!;
  const { head, body } = splitReply(reply);
  t.match(head, /^To: =\?utf-8\?q\?Al=C3=AFce\?= <alice@remote\.example>$/m, 'address header: value as received, display name intact');
  t.equal(body, Buffer.from('Déjà {include secret.txt} {*} \\{x}\n', 'utf8').toString('latin1'), 'decoded, and not expanded again');
  t.notMatch(reply, /SECRET/);
  t.match(head, /^Content-Type: text\/plain; charset=utf-8$/m, '8-bit body labelled');
  const parsed = await simpleParser(Buffer.from(reply, 'latin1'));
  t.equal(parsed.subject, 'Re: Déjà {include secret.txt} {*} \\{x}', 'non-ASCII subject RFC 2047 encoded');
});

t.test('a header value cannot add header lines', async (t) => {
  const { sm, run } = setup(t, { 'r.txt': 'Subject: Re: {subject}\nX-Orig: {x-multi}\n\nok\n' });
  t.equal((await run('r.txt', incoming({ ...ALICE, 'X-Multi': 'one\n two\n Bcc: victim@example.org' }))).code, 0);
  const { head } = splitReply(sm.messages()[0]!);
  t.match(head, /^X-Orig: one two Bcc: victim@example\.org$/m);
  t.notMatch(head, /^Bcc:/m);
});

t.test('headers the file sets win; options fill the rest', async (t) => {
  const { sm, run } = setup(t, {
    'r.txt': 'To: helpdesk-copy@example.com, {reply-to}\nSubject: From the file\nAuto-Submitted: auto-generated\nX-Ticket: 42\n\nbody\n',
  });
  const r = await run('r.txt', incoming({ ...ALICE, 'Reply-To': 'alice.work@remote.example' }), ['--subject', 'From the option', '--from', 'bob@example.com', '--max-recipients', '5']);
  t.equal(r.code, 0, r.stderr);
  const { head } = splitReply(sm.messages()[0]!);
  t.equal(
    head,
    'From: bob@example.com\nTo: helpdesk-copy@example.com, alice.work@remote.example\nSubject: From the file\n' +
      'In-Reply-To: <lunch.1@remote.example>\nReferences: <lunch.1@remote.example>\nAuto-Submitted: auto-generated\nX-Ticket: 42\n',
  );
});

t.test('nested includes, relative to the reply file, with placeholders inside', async (t) => {
  const { sm, run } = setup(t, {
    'replies/vacation.txt': 'Subject: Away\n\nAway.\n{include common/footer.txt}',
    'replies/common/footer.txt': '-- \n{include sig.txt}\n',
    'replies/sig.txt': 'Bob, answering "{subject}"\n',
  });
  t.equal((await run('replies/vacation.txt')).code, 0);
  t.equal(splitReply(sm.messages()[0]!).body, 'Away.\n-- \nBob, answering "Lunch on Friday?"\n\n');
});

t.test('include limits: depth, loops, missing files, leaving the folder', async (t) => {
  const chain: Record<string, string> = { 'r.txt': 'Subject: x\n\n{include f1.txt}\n' };
  for (let i = 1; i <= 9; i++) chain[`f${i}.txt`] = `level ${i}\n{include f${i + 1}.txt}\n`;
  chain['f10.txt'] = 'bottom\n';
  const { dir, sm, run } = setup(t, {
    ...chain,
    'ok8.txt': 'Subject: x\n\n{include f3.txt}\n', // f3 .. f10: 8 levels below ok8
    'loop.txt': 'Subject: x\n\n{include a.txt}\n',
    'a.txt': 'A\n{include b.txt}\n',
    'b.txt': 'B\n\n{include a.txt}\n',
    'missing.txt': 'Subject: x\n\nline 1\n{include nowhere.txt}\n',
    'escape.txt': 'Subject: x\n\n{include ../outside.txt}\n',
    'absolute.txt': 'Subject: x\n\n{include /etc/hostname}\n',
    'symlink.txt': 'Subject: x\n\n{include link.txt}\n',
  });
  symlinkSync('/etc/hostname', join(dir, 'link.txt'));
  const fails = async (file: string, re: RegExp) => {
    const r = await run(file);
    t.equal(r.code, 78, `${file}: exit 78`);
    t.equal(r.stderr.split('\n').filter(Boolean).length, 1, `${file}: one line`);
    t.match(r.stderr, re, file);
  };
  await fails('r.txt', new RegExp(`reply file ${dir}/f8.txt, line 2: \\{include f9.txt\\}: includes nested more than 8 deep`));
  t.equal((await run('ok8.txt')).code, 0, '8 levels are fine');
  await fails('loop.txt', new RegExp(`reply file ${dir}/b.txt, line 3: \\{include a.txt\\}: include loop \\(loop.txt -> a.txt -> b.txt -> a.txt\\)`));
  await fails('missing.txt', new RegExp(`reply file ${dir}/missing.txt, line 4: \\{include nowhere.txt\\}: cannot read .*ENOENT`));
  await fails('escape.txt', /line 3: \{include \.\.\/outside.txt\}: ".." may not leave the reply file's folder/);
  await fails('absolute.txt', /line 3: \{include \/etc\/hostname\}: the path must be relative/);
  await fails('symlink.txt', /line 3: \{include link.txt\}: .* leads outside the reply file's folder/);
  t.equal(sm.messages().length, 1, 'only ok8 was sent');
});

t.test('errors in reply files: one line naming file and line, exit 78', async (t) => {
  const { dir, sm, run } = setup(t, {
    'unterminated.txt': 'Subject: x\n\nHello\nRe: {subject\n',
    'no-separator.txt': 'To: {from}\nSubject: x\n',
    'body-in-headers.txt': 'Subject: x\nYour message was received.\n',
    'binary.txt': Buffer.from('Subject: x\n\nok\nbad \x00 byte\n', 'latin1'),
    'star-in-header.txt': 'Subject: {*}\n\nx\n',
    'auto-submitted-no.txt': 'Auto-Submitted: no\n\nx\n',
  });
  const cases: [string, RegExp][] = [
    ['unterminated.txt', /unterminated.txt, line 4: unterminated "\{subject"/],
    ['no-separator.txt', /no-separator.txt, line 2: the header block is not followed by an empty line/],
    ['body-in-headers.txt', /body-in-headers.txt, line 2: "Your message was received." is not a header line/],
    ['binary.txt', /binary.txt, line 4: binary data \(byte 0x00\)/],
    ['star-in-header.txt', /star-in-header.txt, line 1: \{\*\} .* only be used in the body/],
    ['auto-submitted-no.txt', /line 1: an automatic reply must not say "Auto-Submitted: no"/],
    ['does-not-exist.txt', /does-not-exist.txt: cannot be read \(ENOENT\)/],
  ];
  for (const [file, re] of cases) {
    const r = await run(file);
    t.equal(r.code, 78, `${file}: exit 78`);
    t.match(r.stderr, new RegExp(`^autoreply: reply file ${dir}/` + re.source.replace(/^/, '.*')), file);
    t.equal(r.stderr.trim().split('\n').length, 1, `${file}: one line`);
  }
  t.same(sm.messages(), [], 'nothing sent');
});

t.test('a reply file that would render past 16 MiB is not sent (rule malformed)', async (t) => {
  const { sm, run } = setup(t, { 'big.txt': 'Subject: Away\n\n' + '{subject} '.repeat(2000) + '\n' });
  const r = await run('big.txt', incoming({ ...ALICE, Subject: 'x'.repeat(10_000) }), ['--verbose']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /no reply: malformed: the reply file's body would be larger than 16 MiB once filled in/);
  t.same(sm.messages(), []);
});

t.test('autoreply check --reply-file reports every problem, without a message', async (t) => {
  const { dir } = setup(t, {
    'r.txt': 'Subject: {subj\nTo: {from}\n\nHi {name\n{include gone.txt}\n{include ../x}\n',
    'good.txt': 'Subject: ok\n\nfine {subject}\n',
  });
  const r = await autoreply(['check', '--reply-file', join(dir, 'r.txt')]);
  t.equal(r.code, 78);
  t.equal(r.stderr, 'autoreply: check: 4 problems in the configuration (listed on standard output)\n');
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('problem: '));
  t.equal(lines.length, 4, r.stdout);
  t.match(lines[0], /r.txt, line 1: unterminated "\{subj"/);
  t.match(lines[1], /r.txt, line 4: unterminated "\{name"/);
  t.match(lines[2], /r.txt, line 5: \{include gone.txt\}: cannot read/);
  t.match(lines[3], /r.txt, line 6: .* may not leave/);
  t.match(r.stdout, /^4 problems found$/m);
  const ok = await autoreply(['check', '--reply-file', join(dir, 'good.txt')]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /reply file = .*good.txt \(once database entries "good.txt#[0-9a-f]{12} ADDRESS"\)/);
  t.match(ok.stdout, /configuration ok/);
});

t.test('{*} with a large message: headers, the body cut at return_size_limit, flat and quick', async (t) => {
  const { sm, run } = setup(t, { 'r.txt': 'Subject: Returned\n\nYou wrote:\n{*}\n-- end\n' });
  const line = 'x'.repeat(99) + '\n';
  const big = incoming(ALICE, line.repeat(100_000)); // 10 MB body
  const r = await run('r.txt', big, ['--return-size-limit', '10K']);
  t.equal(r.code, 0, r.stderr);
  const { body } = splitReply(sm.messages()[0]!);
  t.ok(body.startsWith('You wrote:\nFrom: Alice Example <alice@remote.example>\nTo: Bob <bob@example.com>\n'), 'the headers as received');
  t.match(body, /\[\.\.\. the body of the message is 10000000 bytes long; only the first 10240 are included\]\n\n-- end\n$/);
  t.ok(body.length < 12_000, `reply body is ${body.length} bytes`);
  const small = await run('r.txt', incoming(ALICE, 'short body\n'));
  t.equal(small.code, 0);
  t.match(splitReply(sm.messages()[1]!).body, /\n\nshort body\n\n-- end\n$/);
});

t.test('a MIME reply file (text and HTML alternatives) keeps its structure', async (t) => {
  const file = [
    'From: Bob <bob@example.com>',
    'Subject: Re: {subject}',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="=_alt"',
    '',
    'This is a MIME message.',
    '--=_alt',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'I am away. You wrote about: {subject}',
    '--=_alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><head><style>p { color: #333 }</style></head>',
    '<body><p>I am <b>away</b>. You wrote about: <i>{subject}</i></p></body></html>',
    '--=_alt--',
    '',
  ].join('\n');
  const { sm, run } = setup(t, { 'r.txt': file });
  const r = await run('r.txt', incoming({ ...ALICE, Subject: 'Tea & <script>alert(1)</script>' }));
  t.equal(r.code, 0, r.stderr);
  const reply = sm.messages()[0]!;
  t.match(reply, /^MIME-Version: 1\.0$/m);
  t.equal(reply.match(/^MIME-Version/gm)?.length, 1, 'MIME-Version not added twice');
  const parsed = await simpleParser(Buffer.from(reply, 'latin1'));
  t.equal(parsed.subject, 'Re: Tea & <script>alert(1)</script>');
  t.equal(parsed.text?.trim(), 'I am away. You wrote about: Tea & <script>alert(1)</script>');
  t.type(parsed.html, 'string', 'the HTML part survives');
  t.match(parsed.html as string, /<b>away<\/b>\. You wrote about: <i>Tea &amp; &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/i>/, 'values HTML-escaped in the HTML part');
  t.match(parsed.html as string, /p \{ color: #333 \}/, 'CSS braces kept');
  t.equal(parsed.headers.get('auto-submitted'), 'auto-replied');
  // a message cannot fake the reply's MIME delimiter
  const { sm: sm2, run: run2 } = setup(t, { 'r.txt': file.replace('You wrote about: {subject}\n--=_alt\nContent-Type: text/html', 'You wrote:\n{*}\n--=_alt\nContent-Type: text/html') });
  t.equal((await run2('r.txt', incoming(ALICE, 'hi\n--=_alt\nContent-Type: text/html\n\n<b>forged</b>\n--=_alt--\n'))).code, 0);
  const p2 = await simpleParser(Buffer.from(sm2.messages()[0]!, 'latin1'));
  t.notMatch(p2.html as string, /forged/, 'the forged part is not a part');
  t.match(p2.text as string, /<b>forged<\/b>/, 'it stays text in the text part');
});

t.test('per reply file tracking in the once database', async (t) => {
  const { dir, sm, run } = setup(t, {
    'vacation.txt': 'Subject: Away\n\nAway until Monday.\n',
    'moved.txt': 'Subject: We moved\n\nNew address.\n',
  });
  const db = join(dir, 'once.db');
  const go = async (file: string, extra: string[] = []) => await run(file, incoming(ALICE), ['--once', db, ...extra]);
  t.equal((await go('vacation.txt')).code, 0);
  t.equal((await go('moved.txt')).code, 0);
  t.equal(sm.messages().length, 2, 'two reply files answer the same sender independently');
  t.equal((await go('vacation.txt')).code, 0);
  t.equal((await go('moved.txt')).code, 0);
  t.equal(sm.messages().length, 2, 'each only once a day (PEP default)');
  let keys = (await onceList(db)).map((e) => e.key).sort();
  t.match(keys, [/^moved\.txt#[0-9a-f]{12} alice@remote\.example$/, /^vacation\.txt#[0-9a-f]{12} alice@remote\.example$/]);
  t.same((await onceList(db)).map((e) => e.note).sort(), ['Away', 'We moved']);

  writeFileSync(join(dir, 'vacation.txt'), 'Subject: Away\n\nAway until Tuesday now.\n');
  t.equal((await go('vacation.txt')).code, 0);
  t.equal(sm.messages().length, 3, 'an edited reply file starts afresh');
  t.match(sm.messages()[2], /Tuesday/);

  t.equal((await go('vacation.txt', ['--handle', 'away'])).code, 0);
  writeFileSync(join(dir, 'vacation.txt'), 'Subject: Away\n\nAway until Wednesday.\n');
  t.equal((await go('vacation.txt', ['--handle', 'away'])).code, 0);
  t.equal(sm.messages().length, 4, 'with --handle, edits do not start afresh');
  keys = (await onceList(db)).map((e) => e.key);
  t.ok(keys.includes('away alice@remote.example'));
  t.equal((await autoreply(['once', 'show', '--raw', 'away alice@remote.example', '--once', db])).code, 0, 'once show --raw finds it');
  t.equal((await go('vacation.txt', ['--handle', 'two words'])).code, 64, 'a handle is one word');
});

t.test('--handle with Exim options; without it keys are unchanged', async (t) => {
  const dir = tempDir(t);
  const sm = fakeSendmail(dir);
  const db = join(dir, 'once.db');
  const base = ['--to', '$reply_address', '--text', 'Away.', '--once', db, '--sendmail', sm.path, ...CONTEXT];
  t.equal((await autoreply(base, incoming(ALICE))).code, 0);
  t.equal((await autoreply([...base, '--handle', 'ooo-2026'], incoming(ALICE))).code, 0);
  t.same((await onceList(db)).map((e) => e.key).sort(), ['alice@remote.example', 'ooo-2026 alice@remote.example']);
  t.equal(sm.messages().length, 2);
});

t.test("once_repeat: PEP's replyinterval syntax beside Exim's", async (t) => {
  const { run } = setup(t, { 'r.txt': 'Subject: x\n\ny\n' });
  for (const v of ['5d', '12h', '2w', '5 d', '12H', 'replyinterval 5d', '30m', '0']) {
    const r = await run('r.txt', incoming(ALICE), ['--once-repeat', v, '--dry-run']);
    t.equal(r.code, 0, `${v}: ${r.stderr}`);
  }
  for (const v of ['0 h', '5 days', '30', 'replyinterval 5m']) {
    const r = await run('r.txt', incoming(ALICE), ['--once-repeat', v, '--dry-run']);
    t.equal(r.code, 78, `${v} refused`);
    t.match(r.stderr, /Invalid time value/);
  }
  const strict = await autoreply(['--exim-strict', '--to', 'a@b.example', '--text', 'x', '--once', '/tmp/x', '--once-repeat', '5 d', '--dry-run'], incoming(ALICE));
  t.equal(strict.code, 78, '--exim-strict keeps Exim syntax only');
});

t.test('reply files and other options', async (t) => {
  const { dir, run } = setup(t, { 'r.txt': 'Subject: x\n\ny\n' });
  t.equal((await run('r.txt', incoming(ALICE), ['--text', 'also'])).code, 78, 'text cannot be combined');
  t.equal((await run('r.txt', incoming(ALICE), ['--exim-strict'])).code, 64, 'not with --exim-strict');
  t.equal((await run('r.txt', incoming(ALICE), ['--mailbox', dir])).code, 64, 'not with --mailbox');
  const bounce = await run('r.txt', incoming(ALICE, 'x\n', 'MAILER-DAEMON'), ['--verbose']);
  t.equal(bounce.code, 0);
  t.match(bounce.stderr, /no reply: bounce/, 'safety rules apply to reply files');
});
