/**
 * What fuzzing and fault injection found (hostile messages and configurations),
 * each as a test that failed before its fix. Deliveries run in process; the
 * ones where the process is the point (signals, timeouts, crashes) are in
 * test/bin/process.test.ts.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeSendmail, PERSONAL, tmp } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';

const base = ['--sender', 'alice@remote.example', '--recipient', 'bob@example.com', '--to', '$reply_address'];

/** A message whose header `name` holds `value`. */
const withHeader = (name: string, value: string) => PERSONAL.replace('Subject: Lunch on Friday?', `Subject: Lunch on Friday?\n${name}: ${value}`);

t.test('every per-message step is linear: a 1 MB header of any shape is handled quickly', async (t) => {
  // Generous bound: quadratic code took minutes on these (6.8 s at 80,000 blanks);
  // linear code takes well under a second even on a busy machine.
  const N = 900_000;
  const shapes: Record<string, string> = {
    blanks: ' '.repeat(N) + 'x',
    tabs: '\t'.repeat(N) + 'x',
    'encoded-word starts': '=?a?bc? '.repeat(N / 8) + '?=',
    'open comments': '('.repeat(N),
    quotes: '"'.repeat(N),
    angles: '<'.repeat(N),
    'commas and blanks': ', '.repeat(N / 2),
    'semicolons and blanks': '; '.repeat(N / 2),
    'folded blank lines': (' '.repeat(1000) + '\n ').repeat(N / 1002),
  };
  const args = [...base, '--subject', 'Re: $h_subject:', '--headers', 'X-S: ${lc:$h_subject:}', '--text',
    '${if match{$h_subject:}{^x}{a}{b}} $message_headers ${address:$h_from:} ${addresses:$h_to:}', '--never-mail', 'nobody@example.org',
    '--x-loop', 'bob@example.com', '--authserv-id', 'mx.example.com', '--return-message', '--dry-run'];
  for (const [shape, value] of Object.entries(shapes)) {
    for (const header of ['Subject', 'X-Junk', 'From', 'To', 'Message-ID', 'References', 'Content-Type', 'Authentication-Results', 'Auto-Submitted']) {
      const start = Date.now();
      const r = await deliverRun(args, withHeader(header, value));
      const ms = Date.now() - start;
      t.ok(ms < 10_000, `${shape} in ${header}: ${ms} ms`);
      t.equal(r.code, 0, `${shape} in ${header}: exit 0 (${r.stderr.slice(0, 100)})`);
    }
  }
});

t.test('a catastrophic regular expression on message data: a non-match within its budget, as Exim', async (t) => {
  const sm = fakeSendmail();
  const subject = 'a'.repeat(32) + '!';
  const start = Date.now();
  const r = await deliverRun(
    [...base, '--text', '${if match{$h_subject:}{^(a+)+\\$}{yes}{no}}', '--sendmail', sm.path],
    PERSONAL.replace('Lunch on Friday?', subject),
  );
  t.equal(r.code, 0, r.stderr);
  t.ok(Date.now() - start < 10_000, `${Date.now() - start} ms`);
  t.match(sm.messages()[0], /\n\nno\n$/, 'the match gave up: no (Exim: PCRE2 match limit)');
  // a pattern that matches when backtracking could finish, as the hardening-regex-match-limit case shows
  const sm2 = fakeSendmail();
  await deliverRun([...base, '--text', '${if match{$h_subject:}{^((a+)+\\$|a*!)}{yes}{no}}', '--sendmail', sm2.path], PERSONAL.replace('Lunch on Friday?', 'a'.repeat(16) + '!'));
  t.match(sm2.messages()[0], /\n\nyes\n$/, 'a short subject still matches');
});

t.test('never_mail regexes have the same budget', async (t) => {
  const sm = fakeSendmail();
  const from = `${'a'.repeat(32)}!@remote.example`;
  const start = Date.now();
  const r = await deliverRun(
    [...base, '--never-mail', '\\N^(a+)+@\\N', '--text', 'x', '--sendmail', sm.path, '--allow-not-personal'],
    PERSONAL.replace('Alice Example <alice@remote.example>', `<${from}>`),
  );
  t.equal(r.code, 0, r.stderr);
  t.ok(Date.now() - start < 10_000);
  t.equal(sm.messages().length, 1, 'no match within the budget: the address is not removed (as Exim)');
});

t.test('expansions nested thousands deep: a configuration error naming the limit, never a stack overflow', async (t) => {
  for (const tpl of ['${if eq{a}{a}{%}{}}', '${lc:%}', '${if and{{eq{a}{a}}{eq{%}{x}}}{y}{n}}', '${sg{%}{a}{b}}', '${extract{1}{:}{%}}']) {
    const [a, b] = tpl.split('%') as [string, string];
    const deep = a.repeat(5000) + 'x' + b.repeat(5000);
    const r = await deliverRun([...base, '--text', deep], PERSONAL);
    t.equal(r.code, 78, `${tpl}: exit 78`);
    t.match(r.stderr, /expansion nested more than 300 levels deep\n$/);
    t.notMatch(r.stderr, /internal error|call stack/);
    t.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    const strict = await deliverRun([...base, '--text', deep, '--exim-strict'], PERSONAL);
    t.equal(strict.code, 75, `${tpl}: under --exim-strict, 75 (Exim's transport crashes and defers)`);
  }
  const ok = await deliverRun([...base, '--text', '${if eq{a}{a}{'.repeat(100) + 'deep' + '}{}}'.repeat(100), '--dry-run'], PERSONAL);
  t.equal(ok.code, 0, '100 levels are fine');
  t.match(ok.stdout, /\n\ndeep\n$/);
});

t.test('${readfile} and file read at most 4 MiB: /dev/zero is an error, not endless memory', async (t) => {
  const r = await deliverRun([...base, '--text', '${readfile{/dev/zero}}'], PERSONAL);
  t.equal(r.code, 78);
  t.match(r.stderr, /failed to open \/dev\/zero: larger than the 4 MiB autoreply reads/);
  const f = await deliverRun([...base, '--text', 'x', '--file', '/dev/zero'], PERSONAL);
  t.equal(f.code, 78);
  t.match(f.stderr, /file \/dev\/zero: larger than the 4 MiB autoreply sends/);
  const dir = tmp();
  writeFileSync(join(dir, 'sig.txt'), 'Bob\n');
  const ok = await deliverRun([...base, '--text', '${readfile{' + join(dir, 'sig.txt') + '}}', '--dry-run'], PERSONAL);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /\n\nBob\n$/);
});

t.test('message data that would grow an expansion past 16 MiB: no reply (rule malformed), memory stays bounded', async (t) => {
  const sm = fakeSendmail();
  // a 60,000-byte Subject copied 300 times: 18 MB. (No ${sg} here: regular expressions
  // have a time budget, and on a loaded machine it would end the growth first.)
  const big = PERSONAL.replace('Lunch on Friday?', 'a'.repeat(60_000));
  const copies = (n: number) => '$h_subject:'.repeat(n);
  const r = await deliverRun([...base, '--text', copies(300), '--sendmail', sm.path, '--verbose'], big);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /no reply: malformed: Expansion of .* failed: the result would be larger than 16 MiB\n$/);
  t.same(sm.messages(), [], 'nothing sent');
  const strict = await deliverRun([...base, '--text', copies(300), '--exim-strict', '--sendmail', sm.path], big);
  t.equal(strict.code, 65, 'under --exim-strict: a data error');
  const ok = await deliverRun([...base, '--text', copies(100), '--dry-run'], big);
  t.equal(ok.code, 0, '6 MB is still answered');
});

t.test('every configuration error is found before the database is touched: --sendmail \'\' is a usage error', async (t) => {
  const dir = tmp();
  const r = await deliverRun([...base, '--text', 'x', '--once', join(dir, 'db'), '--sendmail', ''], PERSONAL);
  t.equal(r.code, 64);
  t.equal(r.stderr, 'autoreply: --sendmail needs the path of the submission program\n');
  const missing = await deliverRun([...base, '--text', 'x', '--once', join(dir, 'db'), '--sendmail', join(dir, 'no-such-sendmail')], PERSONAL);
  t.equal(missing.code, 75);
  t.match(missing.stderr, /reply not sent: submission program .*no-such-sendmail: not found/);
  // nothing was recorded: once the path is fixed, the reply goes
  const sm = fakeSendmail();
  const fixed = await deliverRun([...base, '--text', 'x', '--once', join(dir, 'db'), '--sendmail', sm.path], PERSONAL);
  t.equal(fixed.code, 0, fixed.stderr);
  t.equal(sm.messages().length, 1, 'the retry with the right path replies');
});

t.test('--alias: every alias counts, in every form', async (t) => {
  const toAlias = PERSONAL.replace('To: Bob <bob@example.com>', 'To: Robert <robert@example.com>');
  for (const form of [
    ['--alias', 'rob@example.com', '--alias', 'robert@example.com'],
    ['--alias=rob@example.com', '--alias=robert@example.com'],
    ['--alias', 'rob@example.com', 'robert@example.com'],
    ['--alias', 'robert@example.com', '--alias', 'rob@example.com'],
  ]) {
    const r = await deliverRun([...base, '--text', 'x', '--dry-run', ...form], toAlias);
    t.match(r.stderr, /^autoreply: reply to alice@remote\.example$/m, `${form.join(' ')}: a message to the first or second alias is personal`);
    const self = await deliverRun([...form, '--sender', 'rob@example.com', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'x', '--dry-run'],
      PERSONAL.replace('Alice Example <alice@remote.example>', 'rob@example.com'));
    t.match(self.stderr, /no reply: self: sender rob@example\.com is an alias of the recipient/, `${form.join(' ')}: mail from an alias is our own`);
  }
});

t.test('--verbose and --dry-run show non-ASCII text as written, not byte by byte', async (t) => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const r = await deliverRun(
    ['--sender', 'nice@remote.example', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'x', '--verbose', '--sendmail', fakeSendmail().path],
    utf8('From: nicëøl@remote.example\nTo: bob@example.com\nSubject: hi\n\nx\n'),
  );
  t.match(r.stderr, /no reply: malformed: a byte that is not ASCII \(195\) in the To header/, 'a raw UTF-8 address cannot be written, and says so');
  const reason = await deliverRun(
    ['--sender', 'nice@remote.example', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'x', '--dry-run'],
    utf8('From: Nicole <nice@remote.example>\nTo: bob@example.com\nSubject: Réponse de Noël [Auto-Reply]\n\nx\n'),
  );
  t.match(reason.stderr, /no reply: auto-reply-subject: Subject: Réponse de Noël \[Auto-Reply\]/);
  t.notMatch(reason.stderr, /Ã/);
  const key = await deliverRun(
    ['--sender', 'nice@remote.example', '--recipient', 'bob@example.com', '--to', 'nicëøl@remote.example', '--text', 'x', '--dry-run', '--exim-strict'],
    utf8('From: nice@remote.example\nTo: bob@example.com\nSubject: hi\n\nx\n'),
  );
  t.match(key.stderr, /autoreply: Expansion of "nic\\xc3\\xab\\xc3\\xb8l@remote\.example" contains non-printing character 195/, 'Exim\'s verdict names the bytes');
});
