// The pure parts of reply files: placeholder scanning, the header block, MIME structure.
import t from 'tap';
import { scanPlaceholders } from '../../../src/reply/reply-file/placeholders.js';
import { splitHeaderBlock } from '../../../src/reply/reply-file/header-block.js';
import { bodyTree, parseContentType } from '../../../src/reply/reply-file/mime-tree.js';
import { bytes } from '../../../src/bytes.js';

const scan = (s: string) => scanPlaceholders(bytes(s), 'r.txt', 1);
const kinds = (s: string) => scan(s).tokens.map((x) => (x.kind === 'text' ? x.text : x.kind === 'header' ? `<${x.name}>` : x.kind === 'all' ? '<*>' : x.kind === 'quote' ? `<quote ${x.lines}>` : `<inc ${x.path}>`));

t.test('each placeholder form', async (t) => {
  t.same(kinds('Re: {subject}!'), ['Re: ', '<subject>', '!']);
  t.same(kinds('{X-Mailer}{*}'), ['<X-Mailer>', '<*>']);
  t.same(kinds('a {include  sig.txt } b'), ['a ', '<inc sig.txt>', ' b']);
  t.same(kinds('{reply-to} {list_id} {x.y}'), ['<reply-to>', ' ', '<list_id>', ' ', '<x.y>']);
  t.same(scan('x\n{from}').tokens[1], { kind: 'header', name: 'from', file: 'r.txt', line: 2 });
});

t.test('escapes: \\{ and \\\\, any other backslash is itself', async (t) => {
  t.same(kinds('\\{from} \\\\ \\n \\'), ['{from} \\ \\n \\']);
  t.same(kinds('\\\\{from}'), ['\\', '<from>']);
});

t.test('braces that are not placeholders stay', async (t) => {
  t.same(kinds('p { margin: 0 }'), ['p { margin: 0 }']);
  t.same(kinds('p{margin:0}'), ['p{margin:0}']);
  t.same(kinds('body {\n}'), ['body {\n}']);
  t.same(kinds('{"a":1} {} {a b}'), ['{"a":1} {} {a b}']);
  t.same(scan('p{margin:0}').problems, []);
});

t.test('an unterminated placeholder is an error naming the line', async (t) => {
  const r = scan('ok\nRe: {subject\n{*\n{include sig.txt\n');
  t.same(
    r.problems.map((p) => p.line),
    [2, 3, 4],
  );
  t.match(r.problems[0]!.message, /unterminated "\{subject"/);
  t.match(scan('{include}').problems[0]!.message, /needs a file name/);
  t.match(scan('{include   }').problems[0]!.message, /needs a file name/);
});

t.test('header block', async (t) => {
  const ok = splitHeaderBlock(bytes('To: {from}\nSubject: a\n  folded\n\nbody\n'), 'r', 1, true);
  t.same(ok.split?.headers, [
    { name: 'To', value: '{from}', line: 1 },
    { name: 'Subject', value: 'a\n  folded', line: 2 },
  ]);
  t.equal(ok.split?.body, 'body\n');
  t.equal(ok.split?.bodyLine, 5);
  t.same(splitHeaderBlock(bytes('\nonly a body\n'), 'r', 1, true).split?.headers, [], 'no headers: starts with an empty line');
  t.match(splitHeaderBlock(bytes('To: a\nSubject: b\n'), 'r', 1, true).problems[0], { line: 2, message: /not followed by an empty line/ });
  t.match(splitHeaderBlock(bytes('To: a\nHello there\n\n'), 'r', 1, true).problems[0], { line: 2, message: /not a header line/ });
  t.match(splitHeaderBlock(bytes('\n\nx'), 'r', 1, true).split?.body, '\nx');
});

t.test('Content-Type parameters', async (t) => {
  t.same(parseContentType('multipart/alternative; boundary="a b"'), { type: 'multipart/alternative', boundary: 'a b' });
  t.same(parseContentType('Multipart/Mixed;\n boundary=xyz'), { type: 'multipart/mixed', boundary: 'xyz' });
  t.same(parseContentType(undefined), { type: 'text/plain' });
});

t.test('a multipart body keeps every byte outside its text parts', async (t) => {
  const body = 'pre\n--b\nContent-Type: text/plain\n\nhi {subject}\n--b\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\naGk{x}=\n--b--\nepi\n';
  const { node, problems } = bodyTree([{ name: 'Content-Type', value: bytes('multipart/alternative; boundary=b'), line: 1 }], bytes(body), 3, 'r');
  t.same(problems, []);
  const flat = (n: typeof node): string =>
    n.kind === 'literal' ? n.text : n.kind === 'seq' ? n.items.map(flat).join('') : n.tokens.map((x) => (x.kind === 'text' ? x.text : `{${x.kind === 'header' ? x.name : '*'}}`)).join('');
  t.equal(flat(node), body, 'rendering with the placeholders put back gives the original');
  const bad = bodyTree([{ name: 'Content-Type', value: bytes('multipart/mixed; boundary=b'), line: 1 }], bytes('--b\n\nx\n'), 3, 'r');
  t.match(bad.problems[0]!.message, /no closing "--b--"/);
  t.match(bodyTree([{ name: 'Content-Type', value: bytes('multipart/mixed'), line: 1 }], bytes('x'), 3, 'r').problems[0]!.message, /without a boundary/);
});
