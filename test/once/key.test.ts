import t from 'tap';
import { onceKeyFor } from '../../src/once/key.js';
import { bytes } from '../../src/bytes.js';

t.test('the key is the lower-cased, sorted, de-duplicated bare addresses', async (t) => {
  t.equal(onceKeyFor(bytes('Bob <B@x.org>, a@Y.org, b@X.org')), 'a@y.org,b@x.org');
  t.equal(onceKeyFor(bytes('alice@example.org')), 'alice@example.org');
  t.equal(onceKeyFor(bytes(' , ')), '');
});

t.test('groups, comments, quoted names, encoded words: one key, whatever the writing', async (t) => {
  // the two examples a delivery and `autoreply once show/forget` used to disagree on
  t.equal(onceKeyFor(bytes('team: a@x, b@y;')), 'a@x,b@y');
  t.equal(onceKeyFor(bytes('a@x (Smith, John)')), 'a@x');
  t.equal(onceKeyFor(bytes('"Doe, Jane" <Jane@Example.org>')), 'jane@example.org');
  t.equal(onceKeyFor(bytes('=?UTF-8?B?ZXZpbEB4Lm9yZywg?= <bob@example.net>')), 'bob@example.net', 'an encoded comma is no second address');
  t.equal(onceKeyFor(bytes('a@x, A@X, a@x (again)')), 'a@x', 'repeated');
  t.equal(onceKeyFor(bytes('undisclosed-recipients:;')), '');
});

t.test('exact (--exim-strict, once --raw): the to string as it is', async (t) => {
  t.equal(onceKeyFor(bytes('Bob <B@X.org>'), { exact: true }), 'Bob <B@X.org>');
});

t.test('a reply identity (reply file, --handle) comes first', async (t) => {
  t.equal(onceKeyFor(bytes('Alice <Alice@Example.org>'), { identity: 'vacation.txt#3f2a9c81d0e4' }), 'vacation.txt#3f2a9c81d0e4 alice@example.org');
  t.equal(onceKeyFor(bytes('a@x'), { exact: true, identity: 'away' }), 'away a@x');
});
