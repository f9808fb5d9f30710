import t from 'tap';
import { ExpansionError, expand } from '../../src/expand/index.js';
import { ctx, err, x } from './fixtures/helpers.js';
import { bytes } from '../../src/bytes.js';

t.test('if and branches', async (t) => {
  t.equal(x('${if eq {a} {a} {yes} {no} }'), 'yes');
  t.equal(x('${if eq{a}{a}}'), 'true');
  t.equal(x('${if eq{a}{b}}|'), '|');
  t.equal(x('${if eq{a}{b}{yes}}|'), '|');
  t.equal(err('${if eq{a}{b}{x}fail}'), '"if" failed and "fail" requested');
  t.equal(
    (() => {
      try {
        expand(bytes('${if eq{a}{b}{x}fail}'), ctx);
      } catch (e) {
        return e instanceof ExpansionError && e.forced;
      }
      return false;
    })(),
    true,
  );
  t.equal(err('${if eq{a}{a}{x}'), 'syntax error in "if" item - "fail" expected');
  t.equal(err('${if eq{a}{b}{x}{y}fail}'), "curly-bracket problem in conditional yes/no parsing: did not close with '}'\n remaining string is 'fail}'");
  t.equal(err('${if}'), 'condition name expected, but found "}"');
  t.equal(err('${if nosuch{a}{b}}'), 'unknown condition "nosuch"');
  t.equal(err('${if eq{a}}'), 'missing 2nd string in {} after "eq"');
  t.equal(err('${if eq{a{b}c}{x}}'), 'missing 2nd string in {} after "eq"', 'braces do not nest inside arguments');
});

t.test('def, !, and, or', async (t) => {
  t.equal(x('${if def:h_subject:{y}{n}}${if def:h_nosuch:{y}{n}}${if def:h_subject {y}{n}}'), 'yny');
  t.equal(x('${if def:local_part{y}{n}}${if def:empty{y}{n}}${if !def:local_part{y}{n}}'), 'ynn');
  t.equal(err('${if def:nosuch{y}{n}}'), 'unknown variable "nosuch" after "def:"');
  t.equal(err('${if def:$local_part{y}{n}}'), 'variable name omitted after "def:"');
  t.equal(x('${if ! eq{a}{a}{y}{n}}${if !!eq{a}{a}{y}{n}}'), 'ny');
  t.equal(x('${if and {{eq{a}{a}} {eq{b}{c}} }{y}{n}}${if or{{eq{a}{b}}{eq{b}{b}}}{y}{n}}'), 'ny');
  t.equal(x('${if and{}{y}{n}}${if or{}{y}{n}}'), 'yn');
});

t.test('bool and bool_lax', async (t) => {
  t.equal(x('${if bool{yes}{y}{n}}${if bool{ true }{y}{n}}${if bool{0}{y}{n}}${if bool{5}{y}{n}}${if bool{}{y}{n}}'), 'yynyn');
  t.equal(err('${if bool{maybe}{y}{n}}'), 'unrecognised boolean value "maybe"');
  t.equal(x('${if bool_lax{maybe}{y}{n}}${if bool_lax{ no }{y}{n}}${if bool_lax{00}{y}{n}}${if bool_lax{0}{y}{n}}'), 'ynyn');
});

t.test('numeric and string comparisons', async (t) => {
  t.equal(x('${if = {1K}{1024}{y}{n}}${if <{2}{10}{y}{n}}${if <{}{10}{y}{n}}${if = {010}{8}{y}{n}}${if = { 3 }{3}{y}{n}}${if == {1G}{1073741824}{y}{n}}'), 'yyynyy');
  t.equal(err('${if <{x}{10}{y}{n}}'), 'integer expected but "x" found');
  t.equal(err('${if == {0x10}{16}{y}{n}}'), 'invalid integer "0x10"');
  t.equal(x('${if lt{abc}{abd}{y}{n}}${if lt{B}{a}{y}{n}}${if lti{B}{a}{y}{n}}${if ge{b}{b}{y}{n}}${if eqi{ABC}{abc}{y}{n}}${if eq{ a}{a}{y}{n}}'), 'yynyyn');
});

t.test('inlist, exists', async (t) => {
  t.equal(x('${if inlist{b}{a:b:c}{y}{n}}${if inlist{B}{a:b:c}{y}{n}}${if inlisti{B}{a:b:c}{y}{n}}'), 'yny');
  t.equal(x('${if inlist{b}{<, a,b}{y}{n}}${if inlist{ b}{a: b :c}{y}{n}}${if inlist{a:b}{a::b:c}{y}{n}}'), 'yny');
  t.equal(x('${if exists{/f.txt}{y}{n}}${if exists{/nope}{y}{n}}'), 'yn');
  // the matching item becomes $value inside the strings (Exim 4.96), and is gone after
  t.equal(x('${if inlist{b}{a:b:c}{got $value}{no}}|${if inlisti{B}{a : b}{[$value]}}|[$value]'), 'got b|[b]|[]');
});

t.test('match and captures', async (t) => {
  t.equal(x('${if match{[ABC-123] x}{\\N^\\[([A-Z]+-\\d+)\\]\\N}{Ticket $1 noted}{No ticket}}'), 'Ticket ABC-123 noted');
  t.equal(x('${if match{ABC}{(?i)b}{y}{n}}'), 'y');
  t.equal(x('${if match{abc}{^(a)(b)(c)\\$}{$3$2$1$0}{n}}'), 'cbaabc');
  t.equal(x('${if match{abc}{^(a)(b)(c)\\$}{\\$3\\$2}{n}}'), '$3$2', 'an escaped $ stays literal');
  t.equal(x('${if match{abc}{a(x)?b}{[$1]}{n}}'), '[]');
  t.equal(x('${if match{abc}{(b)}{$1}}[$1]'), 'b[]', 'captures end with the if');
  t.equal(x('${if and{{match{abc}{(b)}}{eq{$1}{b}}}{[$1]}{n}}'), '[b]');
  t.equal(x('${if match{a.c}{\\N a\\.c\\N}{y}{n}}'), 'n');
  t.equal(x('${if match{x\n}{x\\$}{y}{n}}'), 'y', 'PCRE $ matches before a final newline');
  t.equal(x('${if match{a\rb}{a.b}{y}{n}}'), 'y', 'PCRE . matches CR');
  t.match(err('${if match{a}{(}{y}{n}}'), /^regular expression error in "\(": /);
});
