import t from 'tap';
import { onceKey } from '../../src/once/key.js';
import { keyForArg } from '../../src/once/commands.js';
import { bareAddressesOf } from '../../src/once/transfer.js';

t.test('the key is the lower-cased, sorted, de-duplicated bare addresses', async (t) => {
  t.equal(onceKey(['B@x.org', 'a@Y.org', 'b@X.org']), 'a@y.org,b@x.org');
  t.equal(onceKey(['alice@example.org']), 'alice@example.org');
  t.equal(onceKey([' ', '']), '');
});

t.test('ADDR on the command line is normalised the same way', async (t) => {
  t.equal(keyForArg('Bob <B@X.org>, a@y.org', false), 'a@y.org,b@x.org');
  t.equal(keyForArg('"Doe, Jane" <Jane@Example.org>', false), 'jane@example.org');
  t.equal(keyForArg('Bob <B@X.org>', true), 'Bob <B@X.org>');
  t.same(bareAddressesOf('a@b (comment), "X" <c@d>'), ['a@b', 'c@d']);
});
