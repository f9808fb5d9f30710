import t from 'tap';
import { matchAddressList } from '../../src/address/match.js';
import { parseAddress, parseAddressList } from '../../src/address/parse.js';

t.test('parseAddress', async (t) => {
  t.same(parseAddress('"Alice A. Example" <Alice.Example@Remote.Example>'), { address: 'Alice.Example@Remote.Example', domainStart: 14 });
  t.same(parseAddress('a.n.other <ano@x>'), { address: 'ano@x', domainStart: 4 });
  t.same(parseAddress('<@r1,@r2:a@b>'), { address: 'a@b', domainStart: 2 });
  t.ok('error' in parseAddress('Foo <a@b>, c@d'));
  t.ok('error' in parseAddress('<>'));
});

t.test('parseAddressList', async (t) => {
  t.same(
    parseAddressList('bob@example.com, "Carol, X" <carol@x.example>, bad <').map((a) => a.address),
    ['bob@example.com', 'carol@x.example'],
  );
  // Exim 4.96: text after a group's closing ";" in the same item is dropped.
  t.same(parseAddressList('grp: a@b, c@d; e@f, g@h').map((a) => a.address), ['a@b', 'c@d', 'g@h']);
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
