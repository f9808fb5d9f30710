import t from 'tap';
import { err, x } from './fixtures/helpers.js';

t.test('case, length, substr, strlen', async (t) => {
  t.equal(x('${uc:re}: ${lc:Mixed Case}'), 'RE: mixed case');
  t.equal(x('${uc:\xc3\xa9}${lc:\xc3\x80B}'), '\xc3\xa9\xc3\x80b', 'ASCII only');
  t.equal(x('${length_5:Mixed Case}|${l_3:abcdef}|${length{3}{abcdef}}|${length_0:abc}|'), 'Mixed|abc|abc||');
  t.equal(x('${substr_3_4:abcdefghij}|${s_1_2:abcdef}|${substr_-3_2:abcdef}|${substr_-3:abcdef}|${substr_2:abcdef}'), 'defg|bc|de|abc|cdef');
  t.equal(x('${substr_10:abcdef}|${substr_-10_2:abcdef}|${substr_-10_5:abcdef}|${substr_-6:abcdef}|'), '||a||');
  t.equal(x('${substr{2}{3}{abcdef}}|${substr{-2}{abcdef}}|${substr{}{2}{abcdef}}'), 'cde|abcd|ab');
  t.equal(err('${substr_2_-1:abcdef}'), 'non-digit after underscore in "substr_2_-1"');
  t.equal(err('${length_x:abc}'), 'non-digit after underscore in "length_x"');
  t.equal(err('${substr{x}{3}{abcdef}}'), '"x" is not a number (in "substr" expansion)');
  t.equal(err('${substr{ 2 }{ 3 }{abcdef}}'), '" 2 " is not a number (in "substr" expansion)');
  t.equal(err('${substr{1}{-2}{abcdef}}'), '"-2" is not a positive number (in "substr" expansion)');
  t.equal(err('${length:abc}'), "Not enough arguments for 'length' (min is 2)");
  t.equal(x('${strlen:\xc3\xa9}${strlen:}'), '20', 'bytes, not characters');
});

t.test('sg and tr', async (t) => {
  t.equal(x('${sg{Mixed Case   Words}{\\N\\s+\\N}{_}}'), 'Mixed_Case_Words');
  t.equal(x('${sg{abc}{(b)(c)}{[\\$2\\$1\\$0]}}'), 'a[cbbc]');
  t.equal(x('${sg{abc}{(b)}{$1}}'), 'ac', 'an unescaped $1 is expanded before matching');
  t.equal(x('${sg{abc}{x*}{-}}|${sg{aaa}{^a}{b}}|${sg{abc}{(?i)B}{x}}'), '-a-b-c-|baa|axc');
  t.equal(x('${sg{abc}{b}{$h_subject:}}'), 'aSpaced  outc');
  t.equal(err('${sg{abc}{b}{$h_x-dollar:}}'), "attempt to expand tainted string '$local_part ${if}'");
  t.equal(x('${tr{alice@remote.example}{@.}{#-}}|${tr{abcabc}{abc}{xy}}|${tr{abc}{}{xy}}|${tr{aaa}{aa}{xy}}'), 'alice#remote-example|xyyxyy|abc|yyy');
});

t.test('hashes and encodings', async (t) => {
  t.equal(x('${md5:hash me}'), '17b31dce96b9d6c6d0a6ba95f47796fb');
  t.equal(x('${sha256:abc}'), 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
  t.equal(x('${sha1:abc}'), 'A9993E364706816ABA3E25717850C26C9CD0D89D');
  t.equal(x('${sha3:abc}'), '3A985DA74FE225B2045C172D6BD390BD855F086E3E9D525B46BFE24511431532');
  t.equal(x('${base64:bob}|${base64d:YWI=}|${str2b64:abc}|${hex2b64:616263}'), 'Ym9i|ab|YWJj|YWJj');
  t.equal(err('${base64d:YWI}'), 'string "YWI" is not well-formed for "base64d" operator');
  t.equal(x('${hash{3}{abcdef}}|${hash_3_5:abcdef}|${nhash_8:abcdef}|${nhash_8_64:abcdef}'), 'fmc|dda|7|2/39');
  t.equal(x('${escape:a\tb\\x01\xc3\xa9}'), 'a\tb\\001\\303\\251');
  t.equal(x('${escape:a\\\\b\\nc\\rd\\x7f}'), 'a\\b\\nc\\rd\\177');
});

t.test('rfc2047', async (t) => {
  t.equal(x('${rfc2047:R\xc3\xa9ponse automatique}'), '=?UTF-8?Q?R=C3=A9ponse_automatique?=');
  t.equal(x('${rfc2047:plain}|${rfc2047:a b?c=d_e}'), 'plain|=?UTF-8?Q?a_b=3Fc=3Dd=5Fe?=');
  t.equal(
    x(`\${rfc2047:${'a'.repeat(82)}\xc3\xa9}`),
    `=?UTF-8?Q?${'a'.repeat(68)}?= =?UTF-8?Q?${'a'.repeat(14)}=C3=A9?=`,
  );
  t.equal(x('${rfc2047d:=?ISO-8859-1?Q?caf=E9?=}|${rfc2047d:=?UTF-8?B?w6k=?= x}|${rfc2047d:=?UTF-8?Q?a?= =?UTF-8?Q?b?= c}'), 'caf\xc3\xa9|\xc3\xa9 x|ab c');
});

t.test('addresses and quoting', async (t) => {
  const from = '"Alice A. Example" <Alice.Example@Remote.Example>';
  t.equal(x(`\${address:${from}}|\${local_part:${from}}|\${domain:${from}}`), 'Alice.Example@Remote.Example|Alice.Example|Remote.Example');
  t.equal(x('${addresses:$h_to:}|${addresses:>+$h_to:}'), 'bob@example.com:carol@x.example|bob@example.com+carol@x.example');
  t.equal(x('${address:Foo <a@b>, c@d}|${address:x}|${domain:x}|${address:bad <}'), '|x||');
  t.equal(x('${local_part:Foo <"x y"@b>}|${address:a (comment) @ b . c}'), '"x y"|a@b.c');
  t.equal(x('${addresses:a@b, "x:y"@c}|${addresses:grp: a@b, c@d; e@f}'), 'a@b:"x::y"@c|a@b:c@d');
  t.equal(x('${quote:two words}|${quote:oneword}|${quote:}|${quote:a@b}|${quote:a\\nb}'), '"two words"|oneword|""|"a@b"|"a\\nb"');
  t.equal(x('${quote_local_part:a b}|${quote_local_part:a.b}'), '"a b"|a.b');
});

t.test('eval', async (t) => {
  t.equal(x('${eval:(3+4)*6}|${eval:0x10+010+1k+2M}|${eval: -5 / 2 }|${eval:-5%3}|${eval:~0}'), '42|2098200|-2|-2|-1');
  t.equal(x('${eval:1<<4 | 3 ^ 1 & 2}|${eval:1+2*3<<1}|${eval:1 << 70}|${eval:--1}|${eval:1g}|${eval10:010}'), '19|14|64|1|1073741824|10');
  t.equal(x('${eval:9223372036854775807*2}|${eval:-9223372036854775807-2}|${eval:(-9223372036854775807-1)/-1}|${eval:99999999999999999999}'), '-2|9223372036854775807|9223372036854775807|9223372036854775807');
  t.equal(err('${eval:1/0}'), 'error in expression evaluation: divide by zero (after processing "1/0")');
  t.equal(err('${eval:5%0}'), 'error in expression evaluation: modulo by zero (after processing "5%0")');
  t.equal(err('${eval:(1+2}'), 'error in expression evaluation: expecting closing parenthesis (after processing "(1+2")');
  t.equal(err('${eval:1 2}'), 'error in expression evaluation: expecting operator (after processing "1 ")');
  t.equal(err('${eval:}'), 'error in expression evaluation: expecting number or opening parenthesis (after processing "")');
  t.equal(err('${eval:9223372036854775807+1}'), 'error in expression evaluation: overflow in sum (after processing "9223372036854775807+1")');
  t.equal(err('${eval:08}'), 'error in expression evaluation: expecting operator (after processing "0")');
});

t.test('lists', async (t) => {
  t.equal(x('${listcount:a:b::c}|${listcount:<, a,b}|${listcount:}|${listcount:a::}'), '2|2|0|1');
  t.equal(x('${listextract{2}{a:b:c}}|${listextract{-1}{a:b:c}{<$value>}{no}}|${listextract{4}{a:b:c}{<$value>}{no}}'), 'b|<c>|no');
});
