import t from 'tap';
import { matchAddressList } from '../../src/address/match.js';
import { parseAddress, parseAddressList } from '../../src/address/parse.js';
import { bytes } from '../../src/bytes.js';

t.test('parseAddress', async (t) => {
  t.same(parseAddress(bytes('"Alice A. Example" <Alice.Example@Remote.Example>')), { address: 'Alice.Example@Remote.Example', domainStart: 14 });
  t.same(parseAddress(bytes('a.n.other <ano@x>')), { address: 'ano@x', domainStart: 4 });
  t.same(parseAddress(bytes('<@r1,@r2:a@b>')), { address: 'a@b', domainStart: 2 });
  t.ok('error' in parseAddress(bytes('Foo <a@b>, c@d')));
  t.ok('error' in parseAddress(bytes('<>')));
});

t.test('quoted strings and backslashes keep their bytes (as Exim keeps them)', async (t) => {
  t.same(parseAddress(bytes('"a\\"b"@x')), { address: '"a\\"b"@x', domainStart: 7 });
  t.same(parseAddress(bytes('a\\ b@x')), { address: 'a\\ b@x', domainStart: 5 });
  t.same(parseAddress(bytes('"a.b c"."d"@x.y')), { address: '"a.b c"."d"@x.y', domainStart: 12 });
  t.match(parseAddress(bytes('"abc')), { error: 'unmatched doublequote in local part' });
  t.match(parseAddress(bytes('"abc\\')), { error: 'unmatched doublequote in local part' });
  t.same(parseAddress(bytes('abc\\')), { error: 'missing or malformed local part (expected word or "<")' });
});

t.test('a header of megabytes: words are taken whole, not a character at a time', async (t) => {
  // a fuzzed From: with 577,342 '=' once took 100 MB and 0.4 s
  const long = '='.repeat(1_000_000);
  t.same(parseAddress(bytes(`${long}@${long}`)), { address: `${long}@${long}`, domainStart: long.length + 1 });
  t.same(parseAddress(bytes(`"${long}"@x`)), { address: `"${long}"@x`, domainStart: long.length + 3 });
  t.match(parseAddress(bytes(`x ${long}`)), { error: /^missing or malformed local part|^malformed address/ });
});

t.test('parseAddressList', async (t) => {
  t.same(
    parseAddressList(bytes('bob@example.com, "Carol, X" <carol@x.example>, bad <')).map((a) => a.address),
    ['bob@example.com', 'carol@x.example'],
  );
  // Exim 4.96: text after a group's closing ";" in the same item is dropped.
  t.same(parseAddressList(bytes('grp: a@b, c@d; e@f, g@h')).map((a) => a.address), ['a@b', 'c@d', 'g@h']);
});

t.test('matchAddressList', async (t) => {
  t.ok(matchAddressList('Alice@Remote.Example', 'alice@remote.example'));
  t.ok(matchAddressList('alice@remote.example', 'x@y : *@remote.example'));
  t.ok(matchAddressList('alice@mail.remote.example', '*.remote.example'));
  t.ok(matchAddressList('owner-list@x.example', '*-list@x.example'));
  t.ok(matchAddressList('noreply@x.example', '^no-?reply@'));
  t.notOk(matchAddressList('alice@remote.example', '!alice@remote.example : *@remote.example'));
  t.notOk(matchAddressList('alice@other.example', 'remote.example'));
});
