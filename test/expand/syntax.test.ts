import t from 'tap';
import { expand, ExpansionError } from '../../src/expand/index.js';
import { ctx, err, x } from './fixtures/helpers.js';
import { bytes } from '../../src/bytes.js';

t.test('escapes and \\N', async (t) => {
  t.equal(x('\\N$local_part ${if} \\n stays\\N'), '$local_part ${if} \\n stays');
  t.equal(x('Price: \\$5 \\\\ \\{\\}'), 'Price: $5 \\ {}');
  t.equal(x('a\\tb\\nc\\rd'), 'a\tb\nc\rd');
  t.equal(x('\\101\\x41\\x4g'), 'AA\x04g');
  t.equal(x('\\Nopen to the end'), 'open to the end');
  t.equal(err('abc\\'), '\\ at end of string');
  t.equal(x('abc}def'), 'abc}def', 'a } at top level is literal');
});

t.test('variables and captures', async (t) => {
  t.equal(x('$local_part@${domain}'), 'bob@example.com');
  t.equal(x('[$value][$1][${2}]'), '[][][]');
  t.equal(err('Re: $no_such_variable'), 'unknown variable name "no_such_variable"');
  t.equal(err('${nosuch}'), 'unknown variable in "${nosuch}"');
  t.equal(err('$'), '$ not followed by letter, digit, or {');
  t.equal(err('${'), 'letter or digit expected after ${');
  t.equal(err('${1x}'), '} expected after number');
  t.equal(err('${lc ABC}'), '"${lc" is not a known operator (or a } is missing in a variable reference)');
  t.equal(err('${lc:ABC'), 'missing } at end of string');
  t.equal(err('${nosuch:x}'), 'unknown expansion operator "nosuch"');
});

t.test('header variables', async (t) => {
  t.equal(x('[$h_subject:][$header_Subject:][$bh_subject:]'), '[Spaced  out][Spaced  out][Spaced  out]');
  t.equal(x('[$rh_subject:]'), '[   Spaced  out  \n]');
  t.equal(x('[$h_x-not-there:]'), '[]');
  t.equal(x('[$h_subject x]'), '[Spaced  out x]', 'whitespace ends the name and is kept');
  t.equal(x('[$h_subject]'), '[', 'without colon "subject]" is the name');
  t.equal(x('$h_x-dollar:'), '$local_part ${if}', 'message data is not expanded again');
  t.equal(err('${h_subject}'), 'unknown variable in "${h_subject}"');
  t.equal(err('${if eq{$h_subject}{x}}'), 'missing } at end of string - could be header name not terminated by colon');
});

t.test('unsupported items name themselves', async (t) => {
  for (const item of ['lookup', 'run', 'perl', 'dlfunc', 'acl', 'readsocket', 'prvs']) {
    t.match(err(`\${${item}{x}{y}}`), `unsupported expansion item "\${${item}"`);
  }
  t.match(err('${ipv6norm:x}'), 'unsupported expansion operator "${ipv6norm:"');
  t.match(err('${if match_ip{a}{b}}'), 'unsupported expansion condition "match_ip"');
  t.throws(() => expand(bytes('${lookup{x}lsearch{/f}}'), ctx), ExpansionError);
});

t.test('taint', async (t) => {
  t.same(expand(bytes('$local_part'), ctx), { value: 'bob', tainted: false });
  t.same(expand(bytes('$sender_address'), ctx), { value: 'alice@remote.example', tainted: true, spans: [[0, 20]] });
  t.same(expand(bytes('a $sender_address b'), ctx), { value: 'a alice@remote.example b', tainted: true, spans: [[2, 22]] }, 'where the data is');
  t.equal(expand(bytes('${uc:$h_subject:}'), ctx).tainted, true, 'operators keep taint');
  t.equal(expand(bytes('${length_1:$sender_address}'), ctx).tainted, true);
  t.equal(expand(bytes('${if def:h_subject:{yes}{no}}'), ctx).tainted, false, 'a condition alone inserts nothing tainted');
  t.equal(expand(bytes('${if eq{a}{a}{$h_subject:}{no}}'), ctx).tainted, true);
  t.equal(expand(bytes('${if eq{a}{b}{$h_subject:}{no}}'), ctx).tainted, false, 'the branch not taken does not count');
  t.equal(expand(bytes('${if match{$h_subject:}{(S)}{$1}}'), ctx).tainted, true, 'captures carry the subject taint');
  t.equal(expand(bytes('${md5:$sender_address}'), ctx).tainted, true);
  t.equal(expand(bytes('\\N$h_subject:\\N'), ctx).tainted, false);
});

t.test('skipping: the branch not taken is parsed, not run', async (t) => {
  t.equal(x('${if eq{a}{b}{${eval:1/0}}{ok}}'), 'ok');
  t.equal(x('${if eq{a}{b}{${readfile{/nonexistent}}}}'), '');
  t.equal(x('${if eq{a}{a}{ok}{${extract{1}{:}{a:b}{x}fail}}}'), 'ok');
  t.equal(err('${if eq{a}{b}{$nosuch}{x}}'), 'unknown variable name "nosuch"', 'Exim still checks names');
  t.equal(err('${if eq{a}{b}{${nosuchop:x}}}'), 'unknown expansion operator "nosuchop"');
  t.equal(x('${if or{{eq{a}{a}}{eq{${eval:1/0}}{x}}}{y}{n}}'), 'y', 'or stops evaluating once true');
});
