import t from 'tap';
import { angleStart, bareAddresses as headerAddresses, mailboxSegments, withoutDetail } from '../../src/address/list.js';
import { addressesIn } from '../../src/rules/util.js';
import { msg } from '../helpers/rule-input.js';
import { bytes } from '../../src/bytes.js';

t.test('plain forms', async (t) => {
  t.same(headerAddresses(bytes(' bob@example.net\n')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' Bob Jones <bob@example.net>\n')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' <bob@example.net>')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' bob@example.net (Bob Jones)')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' a@x.org, b@y.org,c@z.org')), ['a@x.org', 'b@y.org', 'c@z.org']);
});

t.test('quoted display names with commas and angle brackets', async (t) => {
  t.same(headerAddresses(bytes(' "Jones, Bob" <bob@example.net>, "Smith, Alice <boss>" <alice@example.com>')), [
    'bob@example.net',
    'alice@example.com',
  ]);
  t.same(headerAddresses(bytes(' "a \\" , b" <q@example.org>')), ['q@example.org']);
});

t.test('comments, nested and with commas', async (t) => {
  t.same(headerAddresses(bytes(' bob@example.net (Bob, (the) builder), carol@example.org')), [
    'bob@example.net',
    'carol@example.org',
  ]);
  t.same(headerAddresses(bytes(' Bob (work) <bob (x) @example.net>')), ['bob@example.net']);
});

t.test('groups', async (t) => {
  t.same(headerAddresses(bytes(' undisclosed-recipients:;')), []);
  t.same(headerAddresses(bytes(' Team: a@x.org, B <b@y.org>;, c@z.org')), ['a@x.org', 'b@y.org', 'c@z.org']);
  // without the comma that must follow a group, Exim 4.96 drops what comes after the ";" (and so do we)
  t.same(headerAddresses(bytes(' Team: a@x.org, B <b@y.org>; c@z.org')), ['a@x.org', 'b@y.org']);
});

t.test('encoded words are not decoded into addresses', async (t) => {
  // "=?UTF-8?B?...?=" decodes to `evil@x.org, ` but is only a display name
  t.same(headerAddresses(bytes(' =?UTF-8?B?ZXZpbEB4Lm9yZywg?= <bob@example.net>')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>')), ['yamada@example.jp']);
});

t.test('folded, routes, empty, quoted local part, case kept', async (t) => {
  t.same(headerAddresses(bytes(' Alice <alice@example.com>,\n\tBob\n <Bob@Example.NET>\n')), ['alice@example.com', 'Bob@Example.NET']);
  t.same(headerAddresses(bytes(' <@relay.example:bob@example.net>')), ['bob@example.net']);
  t.same(headerAddresses(bytes(' <>')), []);
  t.same(headerAddresses(bytes('')), []);
  t.same(headerAddresses(bytes(' "john doe"@example.com')), ['"john doe"@example.com']);
});

t.test('addressesIn reads every named header', async (t) => {
  const m = msg('To: a@x.org, b@x.org\nCc: C <c@x.org>\nResent-To: r@x.org\nTo: d@x.org\nSubject: x');
  t.same(addressesIn(m, ['to', 'CC']), ['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org']);
});

t.test('mailboxes as written, for rewriting one display name', async (t) => {
  t.same(mailboxSegments(bytes('"Doe, J" <j@x>, (a, b) k@y ,l@z')), ['"Doe, J" <j@x>', ' (a, b) k@y ', 'l@z']);
  t.equal(angleStart(bytes('"a <b>" (c <d>) <e@f>')), 16);
  t.equal(angleStart(bytes('e@f')), -1);
});

t.test('sub-addresses', async (t) => {
  t.equal(withoutDetail(bytes('alice+lunch@example.com')), 'alice@example.com');
  t.equal(withoutDetail(bytes('alice@example.com')), undefined);
  t.equal(withoutDetail(bytes('+x@example.com')), undefined);
});
