import t from 'tap';
import { err, x } from './fixtures/helpers.js';

t.test('extract', async (t) => {
  t.equal(x('${extract{2}{:}{alpha:beta:gamma}}|${extract{0}{:}{alpha:beta}}|${extract{-1}{:}{alpha:beta:gamma}}'), 'beta|alpha:beta|gamma');
  t.equal(x('${extract{5}{:}{alpha:beta}}|${extract{5}{:}{alpha:beta}{y}{n}}|${extract{2}{:}{a:b}{<$value>}{n}}'), '|n|<b>');
  t.equal(x('${extract{ 2 }{:}{a:b:c}}|${extract{x2}{:}{a:b:c}}|${extract{2}{,}{a, b ,c}}'), 'b|| b ');
  t.equal(x('${extract{dept}{name=Bob dept=sales floor=3}}|${extract{dept}{name=Bob dept = sales floor=3}}'), 'sales|sales');
  t.equal(x('${extract{dept}{name=Bob dept="sales x" floor=3}}|${extract{Dept}{dept=sales}}|${extract{b}{a=1 b  c=3}}'), 'sales x|sales|c=3');
  t.equal(x('${extract{dept}{dept=sales}{[$value]}{none}}|${extract{no}{dept=sales}{[$value]}{none}}|${extract{no}{dept=sales}}|'), '[sales]|none||');
  t.equal(err('${extract{nod}{dept=sales}{y}fail}'), '"extract" failed and "fail" requested');
  t.equal(err('${extract{}{x}}'), 'first argument of "extract" must not be empty');
});

t.test('readfile and env', async (t) => {
  t.equal(x('${readfile{/f.txt}}|${readfile{/f.txt}{<br>}}|${readfile{/f.txt}{}}'), 'line1\nline2\n|line1<br>line2<br>|line1line2');
  t.equal(err('${readfile{/nonexist}}'), 'failed to open /nonexist: No such file or directory');
  t.equal(x('${env{FOOENV}}|${env{FOOENV}{<$value>}{none}}|${env{NOPE}{<$value>}{none}}|${env{NOPE}}|'), 'fooval|<fooval>|none||');
});
