import t from 'tap';
import { Readable } from 'node:stream';
import { MessageReader, MAX_HEADER_BLOCK, parseMessage } from '../../src/message/reader.js';
import { readMessage } from '../../src/message/stdin.js';
import { bytes } from '../../src/bytes.js';

t.test('an mbox From line and the pipe\'s trailing empty line are stripped', async (t) => {
  const m = parseMessage(bytes('From alice@remote.example Sat Nov 21 04:36:29 2026\nSubject: hi\n\nline one\nline two\n\n'));
  t.equal(m.mboxSender, 'alice@remote.example');
  t.equal(m.headerBlock, 'Subject: hi\n');
  t.equal(m.bodyKept, 'line one\nline two\n');
  t.equal(m.bodySize, 18);
  t.equal(m.bodyLineCount, 2);
});

t.test('without a From line nothing is stripped from the end', async (t) => {
  const m = parseMessage(bytes('Subject: hi\n\nbody\n\n'));
  t.equal(m.mboxSender, undefined);
  t.equal(m.bodyKept, 'body\n\n');
  t.equal(m.bodySize, 6);
});

t.test('MAILER-DAEMON in the From line is the empty sender', async (t) => {
  t.equal(parseMessage(bytes('From MAILER-DAEMON Sat Nov 21 04:36:29 2026\nSubject: x\n\n\n')).mboxSender, '');
});

t.test('CRLF becomes LF, also when CR and LF arrive in different chunks', async (t) => {
  const r = new MessageReader({ keepBody: 1000 });
  for (const piece of ['Subject: a\r', '\nTo: b@c\r\n\r', '\nbody\r', '\n']) r.push(Buffer.from(piece));
  const m = r.finish();
  t.equal(m.headerBlock, 'Subject: a\nTo: b@c\n');
  t.equal(m.bodyKept, 'body\n');
  t.same(
    m.headers.map((h) => h.name),
    ['Subject', 'To'],
  );
});

t.test('a lone CR is kept', async (t) => {
  t.equal(parseMessage(bytes('Subject: a\n\nx\ry\n')).bodyKept, 'x\ry\n');
});

t.test('folded headers stay one field with the raw continuation', async (t) => {
  const m = parseMessage(bytes('Subject: one\n two\nTo: x@y\n\n'));
  t.same(m.headers[0], { name: 'Subject', raw: ' one\n two\n' });
});

t.test('a message with no body separator is all headers', async (t) => {
  const m = parseMessage(bytes('Subject: only\nTo: x@y'));
  t.equal(m.headers.length, 2);
  t.equal(m.bodySize, 0);
});

t.test('a line that is not a header starts the body, as in Exim', async (t) => {
  const m = parseMessage(bytes('Subject: x\nthis is not a header\nmore\n'));
  t.equal(m.headers.length, 1);
  t.equal(m.bodyKept, 'this is not a header\nmore\n');
});

t.test('NUL bytes and invalid UTF-8 pass through as bytes', async (t) => {
  const m = parseMessage(Buffer.from([...Buffer.from('Subject: \xff\x00x\n\n', 'latin1'), 0, 0xc3, 0x28, 0x0a]));
  t.equal(m.headers[0]!.raw, ' \xff\x00x\n');
  t.equal(m.bodySize, 4);
});

t.test('only the first keepBody bytes are kept, the rest is counted', async (t) => {
  const body = 'x'.repeat(10_000) + '\n';
  const m = parseMessage(bytes('Subject: big\n\n' + body), 100);
  t.equal(m.bodyKept.length, 100);
  t.equal(m.bodySize, body.length);
  t.equal(m.bodyTail.length, 500);
  t.ok(m.bodyTail.endsWith('x\n'));
});

t.test('a header block over the cap is marked oversized, after draining the input', async (t) => {
  const huge = 'Subject: kept\nX-Huge: ' + 'a'.repeat(MAX_HEADER_BLOCK + 10) + '\n\nbody\n';
  const chunks = [];
  for (let i = 0; i < huge.length; i += 65536) chunks.push(Buffer.from(huge.slice(i, i + 65536)));
  const stream = Readable.from(chunks);
  const m = await readMessage(stream, 1000);
  t.equal(m.oversized, 'its header block is larger than 1048576 bytes');
  t.same(m.headers.map((h) => h.name), ['Subject'], 'the headers within the cap are kept');
  t.equal(m.bodySize, 5);
  t.equal(stream.readableEnded, true, 'all input was read');
});

t.test('an empty input is an empty message', async (t) => {
  const m = parseMessage(bytes(''));
  t.equal(m.headers.length, 0);
  t.equal(m.bodySize, 0);
});
