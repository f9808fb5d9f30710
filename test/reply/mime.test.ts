// Replies must read correctly in a mail client: every check parses the built
// header block with mailparser, as a client would, and compares with the text a
// person expects to see.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type AddressObject } from 'mailparser';
import t, { type Test } from 'tap';
import { bytes, type ByteString, fromText, isAscii } from '../../src/bytes.js';
import { bodyMimeHeaders, encodeHeaderLines, encodeHeaderValue } from '../../src/reply/mime.js';

// libmime (mailparser's own decoder) has no type declarations
const libmime = createRequire(import.meta.url)('libmime') as { decodeWords(s: string): string };

const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'corpus', 'messages');

/** A reply laid out as the builder does: our headers, MIME lines, empty line, body. */
function reply(headers: [string, ByteString][], body: ByteString = bytes('I am away until 14 July.\n'), headersOption = ''): ByteString {
  let out = '';
  for (const [name, value] of headers) out += `${name}: ${encodeHeaderValue(name, value)}\n`;
  out += 'Auto-Submitted: auto-replied\n';
  if (headersOption) out += headersOption + '\n';
  out += bodyMimeHeaders(body, bytes(headersOption));
  return bytes(out + '\n' + body);
}

const parse = (s: ByteString) => simpleParser(Buffer.from(s, 'latin1'));

/** The header block obeys RFC 5322/2047 limits and is pure ASCII. */
function checkShape(t: Test, raw: ByteString) {
  const head = raw.slice(0, raw.indexOf('\n\n'));
  t.ok(isAscii(head), 'header block is ASCII');
  for (const line of head.split('\n')) t.ok(line.length <= 78, `line within 78: ${line.length}`);
  t.notMatch(head, /\n(?![ \t]|[A-Za-z-]+:)/, 'every line is a header or a continuation');
  for (const [, charset, enc, text] of head.matchAll(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi)) {
    t.ok(`=?${charset}?${enc}?${text}?=`.length <= 75, 'encoded word within 75');
    if (charset!.toUpperCase() !== 'UTF-8') continue;
    const bytes =
      enc!.toUpperCase() === 'B'
        ? Buffer.from(text!, 'base64')
        : Buffer.from(text!.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    t.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'no character split between words');
  }
}

t.test('ASCII values are left alone (Exim-identical)', async (t) => {
  t.equal(encodeHeaderValue('Subject', bytes('Re: lunch on Friday?')), 'Re: lunch on Friday?');
  t.equal(encodeHeaderValue('To', bytes('"Jones, Bob" <bob@example.net>')), '"Jones, Bob" <bob@example.net>');
  t.equal(bodyMimeHeaders(bytes('plain ASCII body\n'), bytes('')), '');
});

// `Re: $h_subject:` of real incoming messages: $h_ decodes to UTF-8 (here done by
// mailparser, as the expander does), our encoder must make it readable again.
for (const [file, expected] of [
  ['personal-japanese-subject.eml', 'Re: 会議の件について'],
  ['personal-cyrillic-subject.eml', 'Re: Проект договора поставки'],
  ['personal-emoji-subject.eml', 'Re: Party am Samstag 🎉🍕'],
  ['mailchimp-newsletter.eml', 'Re: Our July picks 📚'],
] as const) {
  t.test(`Re: $h_subject: of ${file}`, async (t) => {
    const incoming = await simpleParser(readFileSync(join(corpus, file)));
    const hSubject = fromText(incoming.subject ?? '');
    const from = fromText((incoming.from?.value[0]?.name ?? '') + ` <${incoming.from?.value[0]?.address}>`);
    const raw = reply([
      ['From', bytes('Alice Smith <alice@example.com>')],
      ['To', from],
      ['Subject', bytes('Re: ' + hSubject)],
    ]);
    checkShape(t, raw);
    const out = await parse(raw);
    t.equal(out.subject, expected);
    const to = (out.to as AddressObject).value[0];
    t.equal(to?.address, incoming.from?.value[0]?.address);
    t.equal(to?.name, incoming.from?.value[0]?.name);
  });
}

t.test('the ASCII words around encoded text stay readable', async (t) => {
  t.match(encodeHeaderValue('Subject', fromText('Re: Grüße aus Köln, bis bald')), /^Re: =\?UTF-8\?[BQ]\?[^ ]+\?= bis bald$/);
  const v = encodeHeaderValue('Subject', fromText('Ärger'));
  t.match(v, /^=\?UTF-8\?[BQ]\?/, 'a value starting with non-ASCII starts with an encoded word');
});

t.test('long subjects fold at 78 and decode to the same text', async (t) => {
  const subjects = [
    'Re: 来週の打ち合わせの件について、資料の準備状況と会議室の予約を確認させてください。よろしくお願いいたします。',
    'Re: Привет! Это очень длинная тема письма, чтобы проверить перенос строк в заголовке ответа',
    'Re: ' + '🎉🍕😊👍🏽'.repeat(12),
    'Re: Ein ganz normaler deutscher Betreff mit Umlauten: Übergrößenträger und Äpfel, Öl, Straße',
    'Re: mixed English and 日本語 and русский and emoji 🙂 all in one rather long subject line',
  ];
  for (const s of subjects) {
    const raw = reply([['Subject', fromText(s)]]);
    checkShape(t, raw);
    t.equal((await parse(raw)).subject, s);
  }
});

t.test('the `Name: ` prefix counts towards the line length', async (t) => {
  const name = 'X-Rather-Long-Custom-Header-Name-For-Testing';
  const v = encodeHeaderValue(name, fromText('Größenordnung über alles, ' + 'ü'.repeat(30)));
  const first = `${name}: ${v}`.split('\n')[0]!;
  t.ok(first.length <= 78, `first line ${first.length}`);
});

t.test('address headers: only display names are encoded', async (t) => {
  const value = fromText('"Müller, Jürgen" <j.mueller@example.de>, 山田 太郎 <yamada@example.jp>, bob@example.net, Zoë <zoe@example.org>');
  const enc = encodeHeaderValue('To', value);
  for (const a of ['<j.mueller@example.de>', '<yamada@example.jp>', 'bob@example.net', '<zoe@example.org>']) {
    t.ok(enc.includes(a), `${a} kept as it is`);
  }
  const raw = reply([['To', value], ['Cc', fromText('Ñandú Pérez <np@example.es>')], ['Reply-To', fromText('Équipe <team@example.fr>')], ['Subject', bytes('x')]]);
  checkShape(t, raw);
  const out = await parse(raw);
  t.same(
    (out.to as AddressObject).value.map((a) => [a.name, a.address]),
    [
      ['Müller, Jürgen', 'j.mueller@example.de'],
      ['山田 太郎', 'yamada@example.jp'],
      ['', 'bob@example.net'],
      ['Zoë', 'zoe@example.org'],
    ],
  );
  t.same((out.cc as AddressObject).value.map((a) => [a.name, a.address]), [['Ñandú Pérez', 'np@example.es']]);
  t.same(out.replyTo?.value.map((a) => [a.name, a.address]), [['Équipe', 'team@example.fr']]);
});

t.test('an ASCII word that looks like an encoded word is protected', async (t) => {
  const s = 'Re: =?utf-8?q?hidden?= wörld';
  const out = await parse(reply([['Subject', fromText(s)]]));
  t.equal(out.subject, s);
});

t.test('a folded value is unfolded before encoding', async (t) => {
  const v = encodeHeaderValue('Subject', fromText('Re: a folded\n\tsubject with ü'));
  t.notMatch(v, /\n/, 'the old fold is gone (its tab stays, as unfolding keeps whitespace)');
  t.equal((await parse(reply([['Subject', fromText('Re: a folded\n\tsubject with ü')]]))).subject, 'Re: a folded\tsubject with ü');
});

t.test('bytes that are not UTF-8 are labelled ISO-8859-1, not misread', async (t) => {
  const v = encodeHeaderValue('Subject', bytes('Re: Caf\xe9 cr\xe8me'));
  t.match(v, /ISO-8859-1/);
  t.equal((await parse(reply([['Subject', bytes('Re: Caf\xe9 cr\xe8me')]]))).subject, 'Re: Café crème');
});

t.test('random mixtures round-trip and keep the limits', async (t) => {
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const alphabet = ['a', 'Z', ' ', ' ', ' ', '-', '=', '?', '_', '(', '"', ',', 'é', 'ß', 'Ж', 'я', '日', '本', '語', '🎉', '👍🏽', '\u0301'];
  for (let i = 0; i < 60; i++) {
    let s = 'Re: ';
    const len = 1 + rnd(90);
    for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
    s = s.replace(/ +/g, ' ').trimEnd();
    const raw = reply([['Subject', fromText(s)]]);
    const lines = raw.slice(0, raw.indexOf('\n\n')).split('\n');
    t.ok(lines.every((l) => l.length <= 78), 'lines within 78');
    t.equal((await parse(raw)).subject, s, JSON.stringify(s));
  }
});

t.test('the headers option: non-ASCII lines encoded, the rest kept', async (t) => {
  const opt = fromText('X-Loop: alice@example.com\nOrganization: Bäckerei Müller\nX-Folded: one\n two ü\nnot a header ä');
  const enc = encodeHeaderLines(opt);
  t.ok(enc.startsWith('X-Loop: alice@example.com\nOrganization: =?UTF-8?'));
  t.ok(enc.endsWith(fromText('\nnot a header ä')), 'a line that is no header is left for the caller to judge');
  t.equal(encodeHeaderLines(bytes('X-Loop: alice@example.com\nX-A: b')), 'X-Loop: alice@example.com\nX-A: b');
  const out = await parse(reply([['Subject', bytes('x')]], bytes('body\n'), encodeHeaderLines(fromText('Organization: Bäckerei Müller\nX-Folded: one\n two ü'))));
  // mailparser leaves unknown headers encoded; decode them as it decodes Subject
  t.equal(libmime.decodeWords(String(out.headers.get('organization'))), 'Bäckerei Müller');
  t.equal(libmime.decodeWords(String(out.headers.get('x-folded'))), 'one two ü');
});

t.test('body MIME header lines', async (t) => {
  const utf8 = fromText('Ich bin bis 14. Juli nicht im Büro. Grüße\n');
  t.equal(
    bodyMimeHeaders(utf8, bytes('')),
    'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n',
  );
  t.equal(bodyMimeHeaders(utf8, bytes('X-Loop: alice@example.com\ncontent-type: text/plain; charset=utf-8')), 'MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n');
  t.equal(
    bodyMimeHeaders(utf8, bytes('MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable')),
    '',
  );
  t.equal(bodyMimeHeaders(utf8, bytes('X-Note: Content-Type: is not at the start')), 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n');
  t.match(bodyMimeHeaders(bytes('Gr\xfc\xdfe\n'), bytes('')), /charset=iso-8859-1/, 'Latin-1 file content');

  const out = await parse(reply([['Subject', fromText('Re: Büro')]], utf8));
  t.equal(out.text, 'Ich bin bis 14. Juli nicht im Büro. Grüße\n');
  const latin = await parse(reply([['Subject', bytes('x')]], bytes('Gr\xfc\xdfe aus K\xf6ln\n')));
  t.equal(latin.text, 'Grüße aus Köln\n');
});
