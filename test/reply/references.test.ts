import t from 'tap';
import { parseMessage } from '../../src/message/reader.js';
import { parseMessageIds, threadingHeaders } from '../../src/reply/references.js';
import { bytes } from '../../src/bytes.js';

const msg = (headers: string) => parseMessage(bytes(headers + '\n\nbody\n'));
const exim = (headers: string) => threadingHeaders(msg(headers), true);
const safe = (headers: string) => threadingHeaders(msg(headers), false);

t.test('Message-ID alone gives In-Reply-To and a one-id References', async (t) => {
  for (const th of [exim('Message-ID: <a@x>'), safe('Message-ID: <a@x>')]) {
    t.equal(th.inReplyTo, 'In-Reply-To: <a@x>\n');
    t.equal(th.references, 'References: <a@x>\n');
  }
});

t.test('In-Reply-To: Exim copies the raw value, comments included; the safe way keeps the id', async (t) => {
  t.equal(exim('Message-ID:   <a@x> (the id)').inReplyTo, 'In-Reply-To: <a@x> (the id)\n');
  t.equal(safe('Message-ID:   <a@x> (the id)').inReplyTo, 'In-Reply-To: <a@x>\n');
});

t.test('References wins over In-Reply-To; ids are re-parsed without comments', async (t) => {
  t.equal(exim('Message-ID: <c@x>\nIn-Reply-To: <z@x>\nReferences: <a@x> (root)\n <b@x>').references, 'References: <a@x> <b@x> <c@x>\n');
});

t.test('In-Reply-To is used when there is no References', async (t) => {
  t.equal(exim('Message-ID: <c@x>\nIn-Reply-To: <b@x>').references, 'References: <b@x> <c@x>\n');
});

t.test('parsing stops at the first id without a domain', async (t) => {
  t.same(parseMessageIds(bytes(' <a@x> <nodomain> <c@x>')), ['<a@x>']);
});

t.test('over twelve ids: the first and the latest eleven, then the Message-ID', async (t) => {
  const ids = Array.from({ length: 15 }, (_, i) => `<t${i + 1}@x>`);
  const expected = ['<t1@x>', ...ids.slice(4), '<t16@x>'].join(' ');
  t.equal(exim(`Message-ID: <t16@x>\nReferences: ${ids.join(' ')}`).references, `References: ${expected}\n`);
});

t.test('without a Message-ID, References ends after the chain', async (t) => {
  const th = exim('References: <a@x>');
  t.equal(th.inReplyTo, '');
  t.equal(th.references, 'References: <a@x>\n');
});

t.test('nothing to refer to: no threading headers', async (t) => {
  t.same(exim('Subject: x'), { inReplyTo: '', references: '' });
  t.same(safe('Subject: x'), { inReplyTo: '', references: '' });
});

t.test('Resent-Message-ID is used when the message was resent', async (t) => {
  t.equal(exim('Message-ID: <orig@x>\nResent-From: a@x\nResent-Message-ID: <resent@x>').inReplyTo, 'In-Reply-To: <resent@x>\n');
});

t.test('the safe way keeps References within 998 characters; Exim does not', async (t) => {
  const long = (n: number) => `<${String(n).padEnd(300, 'x')}@example.org>`;
  const headers = `Message-ID: ${long(9)}\nReferences: ${long(1)} ${long(2)} ${long(3)}`;
  const line = safe(headers).references;
  t.ok(line.length - 1 <= 998, `line is ${line.length - 1} characters`);
  t.ok(line.startsWith(`References: ${long(1)} `), 'root kept');
  t.ok(line.endsWith(`${long(9)}\n`), 'message id kept');
  t.ok(exim(headers).references.length - 1 > 998, 'unlimited under Exim rules');
});

t.test('a bare CR in Message-ID or References never reaches the reply outside --exim-strict', async (t) => {
  const th = safe('Message-ID: <a@b>\rBcc: victim@elsewhere.example\nReferences: <r1@x>\rBcc: victim@elsewhere.example <r2@x>');
  t.equal(th.inReplyTo, 'In-Reply-To: <a@b>\n');
  t.equal(th.references, 'References: <r1@x> <a@b>\n');
  t.notMatch(th.inReplyTo + th.references, /[\r]|Bcc/);
  // Exim copies the Message-ID value as received (test/conformance/cases/hardening-bare-cr-message-id-references)
  t.equal(exim('Message-ID: <a@b>\rBcc: victim@elsewhere.example').inReplyTo, 'In-Reply-To: <a@b>\rBcc: victim@elsewhere.example\n');
});

t.test('a Message-ID that holds no id: no In-Reply-To, and References without it', async (t) => {
  t.same(safe('Message-ID: garbage\nReferences: <a@x>'), { inReplyTo: '', references: 'References: <a@x>\n' });
  t.same(safe('Message-ID: garbage'), { inReplyTo: '', references: '' });
});
