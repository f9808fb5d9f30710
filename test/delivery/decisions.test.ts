import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autoreply, fakeSendmail, PERSONAL, tmp } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';

const reply = ['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Away.'];

t.test('two autoresponders answering each other stop after one exchange', async (t) => {
  const dir = tmp();
  const bobSm = fakeSendmail();
  const aliceSm = fakeSendmail();
  // bob answers alice's personal mail
  const r1 = await deliverRun([...reply, '--recipient', 'bob@example.com', '--once', join(dir, 'bob.db'), '--sendmail', bobSm.path], PERSONAL);
  t.equal(r1.code, 0);
  t.equal(bobSm.messages().length, 1);
  const bobsReply = 'From: bob@example.com\n' + bobSm.messages()[0];
  // alice's autoresponder gets bob's reply: sent with an empty envelope sender (-f <>)
  const r2 = await deliverRun(
    [...reply, '--recipient', 'alice@remote.example', '--sender', '', '--once', join(dir, 'alice.db'), '--sendmail', aliceSm.path, '--verbose'],
    bobsReply,
  );
  t.equal(r2.code, 0);
  t.same(aliceSm.messages(), [], 'alice does not answer');
  t.match(r2.stderr, /no reply: bounce/);
  // even if a forwarder rewrote the envelope sender, Auto-Submitted stops it
  const r3 = await deliverRun(
    [...reply, '--recipient', 'alice@remote.example', '--sender', 'bob@example.com', '--sendmail', aliceSm.path, '--verbose'],
    bobsReply,
  );
  t.equal(r3.code, 0);
  t.same(aliceSm.messages(), []);
  t.match(r3.stderr, /no reply: auto-submitted/);
});

t.test('--dry-run prints the reply and the decision, sends and records nothing', async (t) => {
  const dir = tmp();
  const sm = fakeSendmail();
  const db = join(dir, 'once.db');
  const r = await deliverRun([...reply, '--recipient', 'bob@example.com', '--once', db, '--sendmail', sm.path, '--dry-run'], PERSONAL);
  t.equal(r.code, 0);
  t.match(r.stdout, /^To: Alice Example <alice@remote\.example>\nSubject: Re: Lunch on Friday\?\n/);
  t.match(r.stderr, /reply to alice@remote\.example/);
  t.same(sm.messages(), []);
  const list = autoreply(['once', 'list', '--json', '--once', db]);
  t.notMatch(list.stdout, /alice/, 'nothing recorded');
});

t.test('--dry-run --json: one object with decision, rule, recipients, reply', async (t) => {
  const r = await deliverRun([...reply, '--recipient', 'bob@example.com', '--dry-run', '--json'], PERSONAL.replace('To: Bob', 'List-Id: <dev.lists.example>\nTo: Bob'));
  t.equal(r.code, 0);
  const o = JSON.parse(r.stdout);
  t.equal(o.decision, 'no reply');
  t.equal(o.rule, 'list');
  t.same(o.recipients, ['alice@remote.example']);
  t.equal(o.reply, null);
  const ok = JSON.parse((await deliverRun([...reply, '--recipient', 'bob@example.com', '--dry-run', '--json'], PERSONAL)).stdout);
  t.equal(ok.decision, 'reply');
  t.match(ok.reply, /^To: Alice Example/);
});

t.test('a rule that refuses writes "not sent to" in the log', async (t) => {
  const dir = tmp();
  const log = join(dir, 'reply.log');
  const sm = fakeSendmail();
  const r = await deliverRun([...reply, '--recipient', 'bob@example.com', '--log', log, '--sendmail', sm.path], PERSONAL.replace('To: Bob', 'Precedence: bulk\nTo: Bob'));
  t.equal(r.code, 0);
  const { readFileSync } = await import('node:fs');
  t.match(readFileSync(log, 'utf8'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n  not sent to Alice Example <alice@remote\.example>: bulk\n$/);
});

t.test('--exim-strict turns every rule off', async (t) => {
  const sm = fakeSendmail();
  const nasty = PERSONAL.replace('To: Bob', 'Precedence: bulk\nList-Id: <x.lists.example>\nAuto-Submitted: auto-generated\nX-Spam-Flag: YES\nTo: Bob');
  const r = await deliverRun([...reply, '--recipient', 'bob@example.com', '--exim-strict', '--sendmail', sm.path], nasty);
  t.equal(r.code, 0);
  t.equal(sm.messages().length, 1);
});

t.test('X-Loop: added to replies, and a message carrying it is refused', async (t) => {
  const sm = fakeSendmail();
  const r = await deliverRun([...reply, '--recipient', 'bob@example.com', '--x-loop', 'bob@example.com', '--sendmail', sm.path], PERSONAL);
  t.equal(r.code, 0);
  t.match(sm.messages()[0], /^X-Loop: bob@example\.com$/m);
  const back = await deliverRun([...reply, '--recipient', 'bob@example.com', '--x-loop', 'bob@example.com', '--sendmail', sm.path, '--verbose'], PERSONAL.replace('To: Bob', 'X-Loop: bob@example.com\nTo: Bob'));
  t.equal(back.code, 0);
  t.equal(sm.messages().length, 1);
  t.match(back.stderr, /loop/);
});

t.test('a Japanese subject is encoded, and the body labelled, outside --exim-strict', async (t) => {
  const sm = fakeSendmail();
  const msg = PERSONAL.replace('Subject: Lunch on Friday?', 'Subject: =?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?=');
  const r = await deliverRun(['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Je suis absent — à lundi.', '--recipient', 'bob@example.com', '--sendmail', sm.path], msg);
  t.equal(r.code, 0);
  const { simpleParser } = await import('mailparser');
  const parsed = await simpleParser(Buffer.from(sm.messages()[0]!, 'latin1'));
  t.equal(parsed.subject, 'Re: 日本語の件名');
  t.equal(parsed.text?.trim(), 'Je suis absent — à lundi.');
});

t.test('autoreply check: a value a delivery would refuse to send is a problem, not an internal error', async (t) => {
  const conf = join(tmp(), 'accents.conf');
  writeFileSync(conf, 'to = $reply_address\ntext = Away\nonce_repeat = 1 caf\u00e9\n');
  const r = autoreply(['check', '--config', conf]);
  t.equal(r.code, 78);
  t.equal(r.stderr, 'autoreply: check: 1 problem in the configuration (listed on standard output)\n');
  t.match(r.stdout, /^problem: once_repeat: Expansion of "1 caf\\xc3\\xa9" contains non-printing character 195$/m);
});

t.test('autoreply check reports every problem at once (78), or ok (0)', async (t) => {
  const dir = tmp();
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, 'to = $reply_address\nsubject = Re: $nosuch\ntext = ${lookup{x}}\nonce_repeat = 2 days\nfile = /nonexistent/body\n');
  const r = autoreply(['check', '--config', conf]);
  t.equal(r.code, 78);
  t.equal(r.stderr, 'autoreply: check: 4 problems in the configuration (listed on standard output)\n');
  t.match(r.stdout, /^problem: subject: .*unknown variable name "nosuch"/m);
  t.match(r.stdout, /^problem: text: .*lookup/m);
  t.match(r.stdout, /^problem: once_repeat: invalid time value "2 days"/m);
  t.match(r.stdout, /^problem: file: cannot read \/nonexistent\/body/m);
  t.match(r.stdout, /^4 problems found$/m);
  const good = join(dir, 'good.conf');
  writeFileSync(good, 'to = $reply_address\nsubject = Re: $h_subject:\ntext = Away\n');
  const ok = autoreply(['check', '--config', good]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /subject = Re: A sample message/);
  t.match(ok.stdout, /configuration ok/);
});

t.test('autoreply check with a shared server in once: the URL checked offline, its password never shown', async (t) => {
  const dir = tmp();
  const conf = join(dir, 'shared.conf');
  writeFileSync(conf, 'to = $reply_address\ntext = Away\nonce = redis://mail:s3cret@db.example:6379/?prefix=autoreply:once:\n');
  const ok = autoreply(['check', '--config', conf]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^once = redis:\/\/mail:\*\*\*@db\.example:6379\/\?prefix=autoreply:once:$/m);
  t.notMatch(ok.stdout + ok.stderr, /s3cret/, 'no password');
  t.match(ok.stdout, /configuration ok/);
  writeFileSync(conf, 'to = $reply_address\ntext = Away\nonce = postgresql://mail:s3cret@db.example/mail?table=bad-name\n');
  const bad = autoreply(['check', '--config', conf]);
  t.equal(bad.code, 78);
  t.match(bad.stdout, /^problem: once: once database postgresql:\/\/mail:\*\*\*@db\.example\/mail\?table=bad-name: /m);
  t.notMatch(bad.stdout + bad.stderr, /s3cret/, 'no password');
});
