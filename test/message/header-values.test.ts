import t from 'tap';
import { decodeEncodedWords } from '../../src/message/header-values.js';
import { decodeRfc2047 } from '../../src/expand/rfc2047.js';
import { bytes } from '../../src/bytes.js';

// Byte strings: one char per byte (UTF-8 "é" is \xc3\xa9).
const long = '=?UTF-8?Q?Caf=C3=A9_r=C3=A9union_tr=C3=A8s_longue_avec_beaucoup_de_mots_pour_d=C3=A9passer?=';

t.test('RFC 2047 decoding follows Exim rfc2047_decode2 (recorded from Exim 4.96)', async (t) => {
  t.equal(decodeEncodedWords(bytes('=?ISO-8859-1?Q?caf=E9?='), true), 'caf\xc3\xa9');
  t.equal(decodeEncodedWords(bytes('=?ISO-8859-1?Q?caf=E9?='), false), 'caf\xe9', '$bh_: bytes kept');
  t.ok(long.length > 75);
  t.equal(decodeEncodedWords(bytes(long), true), long, 'a word over 75 characters is not decoded');
  t.equal(decodeRfc2047(bytes(long)), long, 'nor by ${rfc2047d:}');
  t.equal(decodeEncodedWords(bytes('=?UTF-8?Q?a=ZZb?= plain'), true), '=?UTF-8?Q?a=ZZb?= plain', 'bad QP');
  t.equal(decodeEncodedWords(bytes('=?UTF-8?Q?a b?='), true), '=?UTF-8?Q?a b?=', 'blank inside a Q word');
  t.equal(decodeEncodedWords(bytes('=?UTF-8?B?YWI?= =?UTF-8?B?YWJj?='), true), '=?UTF-8?B?YWI?= abc', 'unpadded base64');
  t.equal(
    decodeEncodedWords(bytes('=?UTF-8?Q?one?=   =?UTF-8?Q?t=ZZwo?=   =?UTF-8?Q?three?='), true),
    'one   =?UTF-8?Q?t=ZZwo?=   three',
    'whitespace is dropped only between two decodable words',
  );
  t.equal(decodeEncodedWords(bytes('=?UTF-8?Q?caf=E9?= =?utf-8?q?_ok?='), true), 'caf\xe9 ok', 'a UTF-8 word is not validated');
  t.equal(decodeEncodedWords(bytes('=?ISO-8859-1?Q?a=00b?='), true), 'a?b', 'NUL becomes ?');
  t.equal(decodeEncodedWords(bytes('=?UTF-8?X?abc?= =?UTF-8?Q?d?='), true), '=?UTF-8?X?abc?= d');
  t.equal(decodeEncodedWords(bytes('=?x=?UTF-8?Q?inner?='), true), '=?xinner');
  t.equal(decodeEncodedWords(bytes('=?UTF-8?B?w6k=?==?UTF-8?Q?=C3=A9?='), true), '\xc3\xa9\xc3\xa9');
});
