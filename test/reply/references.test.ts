import t from 'tap';
import { parseMessage } from '../../src/message/reader.js';
import { incomingMessageId, inReplyToLine, parseMessageIds, referencesLine } from '../../src/reply/references.js';

const msg = (headers: string) => parseMessage(headers + '\n\nbody\n');

t.test('Message-ID alone gives In-Reply-To and a one-id References', async (t) => {
  const m = msg('Message-ID: <a@x>');
  const id = incomingMessageId(m);
  t.equal(inReplyToLine(id), 'In-Reply-To: <a@x>\n');
  t.equal(referencesLine(m, id), 'References: <a@x>\n');
});

t.test('In-Reply-To copies the raw value, comments included', async (t) => {
  const m = msg('Message-ID:   <a@x> (the id)');
  t.equal(inReplyToLine(incomingMessageId(m)), 'In-Reply-To: <a@x> (the id)\n');
});

t.test('References wins over In-Reply-To; ids are re-parsed without comments', async (t) => {
  const m = msg('Message-ID: <c@x>\nIn-Reply-To: <z@x>\nReferences: <a@x> (root)\n <b@x>');
  t.equal(referencesLine(m, incomingMessageId(m)), 'References: <a@x> <b@x> <c@x>\n');
});

t.test('In-Reply-To is used when there is no References', async (t) => {
  const m = msg('Message-ID: <c@x>\nIn-Reply-To: <b@x>');
  t.equal(referencesLine(m, incomingMessageId(m)), 'References: <b@x> <c@x>\n');
});

t.test('parsing stops at the first id without a domain', async (t) => {
  t.same(parseMessageIds(' <a@x> <nodomain> <c@x>'), ['<a@x>']);
});

t.test('over twelve ids: the first and the latest eleven, then the Message-ID', async (t) => {
  const ids = Array.from({ length: 15 }, (_, i) => `<t${i + 1}@x>`);
  const m = msg(`Message-ID: <t16@x>\nReferences: ${ids.join(' ')}`);
  const expected = ['<t1@x>', ...ids.slice(4), '<t16@x>'].join(' ');
  t.equal(referencesLine(m, incomingMessageId(m)), `References: ${expected}\n`);
});

t.test('without a Message-ID, References ends after the chain', async (t) => {
  const m = msg('References: <a@x>');
  t.equal(incomingMessageId(m), undefined);
  t.equal(inReplyToLine(undefined), '');
  t.equal(referencesLine(m, undefined), 'References: <a@x>\n');
});

t.test('nothing to refer to: no References line', async (t) => {
  t.equal(referencesLine(msg('Subject: x'), undefined), '');
});

t.test('Resent-Message-ID is used when the message was resent', async (t) => {
  const m = msg('Message-ID: <orig@x>\nResent-From: a@x\nResent-Message-ID: <resent@x>');
  t.equal(incomingMessageId(m), '<resent@x>\n');
});

t.test('with a 998 limit, ids after the root are dropped until the line fits', async (t) => {
  const long = (n: number) => `<${String(n).repeat(1).padEnd(300, 'x')}@example.org>`;
  const m = msg(`Message-ID: ${long(9)}\nReferences: ${long(1)} ${long(2)} ${long(3)}`);
  const line = referencesLine(m, incomingMessageId(m), 998);
  t.ok(line.length - 1 <= 998, `line is ${line.length - 1} characters`);
  t.ok(line.startsWith(`References: ${long(1)} `), 'root kept');
  t.ok(line.endsWith(`${long(9)}\n`), 'message id kept');
  t.equal(referencesLine(m, incomingMessageId(m)).length - 1 > 998, true, 'unlimited under Exim rules');
});
