import t, { type Test } from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autoreply, fakeSendmail, PERSONAL, tmp } from '../helpers/cli.js';

const base = ['--recipient', 'bob@example.com', '--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Away.'];

/** Every failure: the right code, exactly one line on stderr, no stack trace. */
function oneLine(t: Test, stderr: string) {
  const lines = stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(stderr)}`);
  t.match(lines[0], /^autoreply: /);
  t.notMatch(stderr, /\n\s+at /, 'no stack trace');
}

t.test('a reply is submitted with Exim\'s arguments and exit 0, nothing on stderr', async (t) => {
  const sm = fakeSendmail();
  const r = autoreply([...base, '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(r.stdout, '');
  t.same(sm.argv(), [['-t', '-oem', '-oi', '-f', '<>']]);
  t.equal(
    sm.messages()[0],
    'To: Alice Example <alice@remote.example>\nSubject: Re: Lunch on Friday?\nIn-Reply-To: <lunch.1@remote.example>\n' +
      'References: <lunch.1@remote.example>\nAuto-Submitted: auto-replied\n\nAway.\n',
  );
});

t.test('unknown option: 64', async (t) => {
  const r = autoreply(['--no-such-option'], PERSONAL);
  t.equal(r.code, 64);
  oneLine(t, r.stderr);
});

t.test('unexpected positional argument: 64', async (t) => {
  const r = autoreply([...base, 'stray'], PERSONAL);
  t.equal(r.code, 64);
  oneLine(t, r.stderr);
});

t.test('--once-timeout must be more than 0 seconds: 64 (0 would be no time at all to reach the server)', async (t) => {
  const r = autoreply([...base, '--once', 'redis://127.0.0.1:1/', '--once-timeout', '0', '--sendmail', '/bin/true'], PERSONAL);
  t.equal(r.code, 64);
  oneLine(t, r.stderr);
  t.match(r.stderr, /--once-timeout takes a number of seconds greater than 0/);
});

t.test('expansion failure: 78, naming the expansion', async (t) => {
  const sm = fakeSendmail();
  const r = autoreply([...base, '--subject', 'Re: $nosuch', '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 78);
  oneLine(t, r.stderr);
  t.match(r.stderr, /Expansion of "Re: \$nosuch" failed: unknown variable name "nosuch"/);
  t.same(sm.messages(), []);
});

t.test('unsupported expansion item: 78, naming the item', async (t) => {
  const r = autoreply([...base, '--text', '${lookup{x}lsearch{/etc/passwd}}'], PERSONAL);
  t.equal(r.code, 78);
  t.match(r.stderr, /lookup/);
  oneLine(t, r.stderr);
});

t.test('invalid once_repeat: 78', async (t) => {
  const dir = tmp();
  const r = autoreply([...base, '--once', join(dir, 'once'), '--once-repeat', '2 days'], PERSONAL);
  t.equal(r.code, 78);
  t.match(r.stderr, /Invalid time value "2 days" for "once_repeat"/);
});

t.test('a path built from message data is refused: 78', async (t) => {
  const dir = tmp();
  const r = autoreply([...base, '--log', `${dir}/$h_subject:.log`], PERSONAL);
  t.equal(r.code, 78);
  t.match(r.stderr, /Tainted/);
  oneLine(t, r.stderr);
});

t.test('a tainted path under --exim-strict: as Exim 4.96 (file and once defer, log silently unwritten)', async (t) => {
  const dir = tmp();
  const strict = [...base, '--exim-strict', '--recipient', 'bob@example.com'];
  const file = autoreply([...strict, '--file', `${dir}/$h_subject:`, '--file-optional'], PERSONAL);
  t.equal(file.code, 75);
  t.match(file.stderr, /Tainted/);
  oneLine(t, file.stderr);
  // $local_part is tainted too under --exim-strict
  const once = autoreply([...strict, '--once', `${dir}/$local_part.db`], PERSONAL);
  t.equal(once.code, 75);
  const sm = fakeSendmail();
  const log = autoreply([...strict, '--sendmail', sm.path, '--log', `${dir}/$local_part.log`], PERSONAL);
  t.equal(log.code, 0);
  t.equal(sm.messages().length, 1);
  t.notOk(existsSync(join(dir, 'bob.log')));
});

t.test('non-printing character in a header under --exim-strict: 65', async (t) => {
  const msg = PERSONAL.replace('Subject: Lunch on Friday?', 'Subject: =?UTF-8?Q?caf=C3=A9?=');
  const r = autoreply([...base, '--exim-strict'], msg);
  t.equal(r.code, 65);
  t.match(r.stderr, /non-printing character 195/);
});

t.test('a missing body file defers (75) and nothing is sent', async (t) => {
  const sm = fakeSendmail();
  const r = autoreply([...base, '--file', '/nonexistent/body.txt', '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 75);
  t.match(r.stderr, /Failed to open file \/nonexistent\/body\.txt/);
  t.same(sm.messages(), []);
});

t.test('file_optional: the reply goes out with the text only', async (t) => {
  const sm = fakeSendmail();
  const r = autoreply([...base, '--file', '/nonexistent/body.txt', '--file-optional', '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 0);
  t.match(sm.messages()[0], /\n\nAway\.\n$/);
});

t.test('submission program fails: 75 with its status; cannot run: 75', async (t) => {
  const sm = fakeSendmail(1);
  const r = autoreply([...base, '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 75);
  t.match(r.stderr, /exited with status 1/);
  oneLine(t, r.stderr);
  const r2 = autoreply([...base, '--sendmail', '/nonexistent/sendmail'], PERSONAL);
  t.equal(r2.code, 75);
  t.equal(r2.stderr, 'autoreply: reply not sent: submission program /nonexistent/sendmail: not found\n');
});

t.test('submission exit 2 (no recipients) is success', async (t) => {
  const sm = fakeSendmail(2);
  const r = autoreply([...base, '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 0);
  t.equal(sm.messages().length, 1);
});

t.test('a configuration file that cannot be read: 78; a bad line: 78 naming it', async (t) => {
  const r = autoreply(['--config', '/nonexistent.conf'], PERSONAL);
  t.equal(r.code, 78);
  oneLine(t, r.stderr);
  const dir = tmp();
  writeFileSync(join(dir, 'bad.conf'), 'to = $reply_address\nsubjekt = x\n');
  const r2 = autoreply(['--config', join(dir, 'bad.conf')], PERSONAL);
  t.equal(r2.code, 78);
  t.match(r2.stderr, /bad\.conf line 2: unknown option "subjekt"/);
});

t.test('--help and --version print and exit 0', async (t) => {
  const h = autoreply(['--help']);
  t.equal(h.code, 0);
  t.match(h.stdout, /--once-repeat/);
  const v = autoreply(['--version']);
  t.equal(v.code, 0);
  t.match(v.stdout, /^\d+\.\d+\.\d+/);
});
