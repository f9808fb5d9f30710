// mailparser is loaded only by deliveries that quote the message: the real
// program (bin/autoreply and dist/) runs with a preloaded probe that records
// every file read and module required that belongs to the quote chunk
// (dist/autoreply-quote.cjs and its code cache) or to mailparser. The runs that
// quote are the control: there the probe must see the chunk.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoreply, PERSONAL, PROJECT } from '../helpers/cli.js';

const built = existsSync(join(PROJECT, 'dist/autoreply-quote.cjs')) ? false : 'dist/ is not built (npm run build)';

const PROBE = `'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const seen = [];
const watched = (s) => /autoreply-quote|mailparser|mailsplit|html-to-text/.test(String(s));
for (const name of ['readFileSync', 'openSync', 'readFile', 'open', 'createReadStream']) {
  const original = fs[name];
  fs[name] = function (path, ...rest) {
    if (watched(path)) seen.push(name + ' ' + path);
    return original.call(this, path, ...rest);
  };
}
const load = Module._load;
Module._load = function (request, ...rest) {
  if (watched(request)) seen.push('require ' + request);
  return load.call(this, request, ...rest);
};
process.on('exit', () => fs.writeFileSync(process.env.QUOTE_PROBE_OUT, JSON.stringify(seen)));
`;

t.test('only deliveries that quote the message load mailparser', { skip: built }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'probe.cjs'), PROBE);
  writeFileSync(join(dir, 'plain.txt'), 'Subject: Away\n\nAway until Monday ({subject}).\n');
  writeFileSync(join(dir, 'quoting.txt'), 'Subject: Away\n\nYou wrote:\n{quote 2}\n');
  let n = 0;
  /** The program's run with the probe, and what the probe saw. */
  const probed = (args: string[]) => {
    const out = join(dir, `seen.${n++}`);
    const r = autoreply(['--recipient', 'bob@example.com', '--dry-run', ...args], PERSONAL, {
      NODE_OPTIONS: `--require ${join(dir, 'probe.cjs')}`,
      QUOTE_PROBE_OUT: out,
    });
    return { ...r, seen: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as string[]) : ['(the probe did not run)'] };
  };

  const plain = probed(['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Away until Monday.']);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, /^Away until Monday\.$/m);
  t.same(plain.seen, [], 'a reply from options: nothing of mailparser read or required');

  const file = probed(['--reply-file', join(dir, 'plain.txt')]);
  t.equal(file.code, 0, file.stderr);
  t.same(file.seen, [], 'a reply file without {quote}: nothing either');

  const strict = probed(['--exim-strict', '--to', '$reply_address', '--text', '$message_quote']);
  t.equal(strict.code, 78, 'under --exim-strict the variable does not exist');
  t.same(strict.seen, [], 'and nothing is loaded for it');

  const quoting = probed(['--to', '$reply_address', '--text', 'You wrote:\n$message_quote\n']);
  t.equal(quoting.code, 0, quoting.stderr);
  t.match(quoting.stdout, /^You wrote:\n> Hi Bob, lunch\?$/m);
  t.ok(
    quoting.seen.some((s) => s === `readFileSync ${join(PROJECT, 'dist/autoreply-quote.cjs')}`),
    'control: $message_quote loads dist/autoreply-quote.cjs',
  );

  const quotingFile = probed(['--reply-file', join(dir, 'quoting.txt')]);
  t.equal(quotingFile.code, 0, quotingFile.stderr);
  t.match(quotingFile.stdout, /^You wrote:\n> Hi Bob, lunch\?$/m);
  t.ok(quotingFile.seen.length > 0, 'control: so does {quote}');
});
