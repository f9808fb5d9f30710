import t from 'tap';
import { parseConfig } from '../../src/options/config-file.js';
import { toOptions } from '../../src/commands/deliver/args.js';
import { AutoreplyError } from '../../src/errors.js';
import { bytes } from '../../src/bytes.js';

t.test('Exim option syntax: comments, blanks, continuations, bare booleans, driver and name lines', async (t) => {
  const settings = parseConfig(
    bytes([
      '# vacation transport',
      'vacation:',
      '  driver = autoreply',
      '',
      '  to = $reply_address',
      '  text = first part \\',
      '         second part',
      '  return_message',
      '  file-optional = no',
    ].join('\n')),
  );
  t.same(
    settings.map((s) => [s.name, s.value]),
    [
      ['to', '$reply_address'],
      ['text', 'first part second part'],
      ['return_message', undefined],
      ['file_optional', 'no'],
    ],
  );
});

t.test('a quoted value has its escapes interpreted when read', async (t) => {
  const [s] = parseConfig(bytes('text = "a\\tb\\n\\"q\\" \\101"'));
  t.equal(s!.value, 'a\tb\n"q" A');
});

t.test('an unquoted value keeps backslashes for the expander', async (t) => {
  const [s] = parseConfig(bytes('text = Hello,\\nworld'));
  t.equal(s!.value, 'Hello,\\nworld');
});

t.test('a line that is not an option is an error naming the line', async (t) => {
  t.throws(() => parseConfig(bytes('to = x\n= oops'), 'my.conf'), { message: /my\.conf line 2/ });
});

t.test('typed values: booleans, sizes, modes, and a clear error for a bad one', async (t) => {
  const o = toOptions({ return_message: bytes('yes'), file_expand: bytes('false'), return_size_limit: bytes('1M'), mode: bytes('0640'), once_file_size: bytes('4K') });
  t.equal(o.return_message, true);
  t.equal(o.file_expand, false);
  t.equal(o.return_size_limit, 1048576);
  t.equal(o.mode, 0o640);
  t.equal(o.once_file_size, 4096);
  t.equal(toOptions({}).return_size_limit, 102400, 'default 100K');
  const err = (() => {
    try {
      toOptions({ return_message: bytes('maybe') });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof AutoreplyError && err.exitCode === 78);
  t.match((err as Error).message, /return_message: "maybe" is not true\/false\/yes\/no/);
});

t.test('only spaces and tabs are blanks: a UTF-8 "à" (bytes C3 A0) ending a value or a continued line stays whole', async (t) => {
  const conf = bytes('text = Voil\xc3\xa0\nsubject = D\xc3\xa9j\xc3\xa0 \\\n  vu \xc3\xa0\n');
  t.same(
    parseConfig(conf).map((s) => [s.name, s.value]),
    [
      ['text', 'Voil\xc3\xa0'],
      ['subject', 'D\xc3\xa9j\xc3\xa0 vu \xc3\xa0'],
    ],
  );
});
