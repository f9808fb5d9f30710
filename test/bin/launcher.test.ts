/**
 * Start-up and streaming, checked without timing anything (timing is for
 * `npm run bench`): bin/autoreply runs the bundle in dist/ with a code cache this
 * node accepts, and a 100 MB message is drained in bounded memory.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { runText } from '../helpers/exec.js';

const PROJECT = resolve(import.meta.dirname, '../..');
const BIN = join(PROJECT, 'bin/autoreply');
const BUNDLE = join(PROJECT, 'dist/autoreply.cjs');
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const built = existsSync(BUNDLE) ? false : 'dist/ is not built (npm run build)';

const HEADER = 'From: Alice <alice@example.org>\nTo: bob@example.com\nSubject: hello\nMessage-ID: <m1@example.org>\n\n';
const ARGS = ['--sender', 'alice@example.org', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'away\n'];

t.test('bin/autoreply runs the bundle, with its code cache', { skip: built }, async (t) => {
  const launcher = readFileSync(BIN, 'utf8');
  t.match(launcher, /'autoreply\.cjs'/, 'the launcher loads dist/autoreply.cjs');
  t.notMatch(launcher, /src\//, 'and nothing from src/');

  const source = readFileSync(BUNDLE, 'utf8');
  const id = /\/\/# build=([0-9a-f]+)\n$/.exec(source)?.[1];
  t.ok(id, 'the bundle names its build');
  const cache = join(PROJECT, `dist/autoreply.cjs.${id}.cache`);
  t.ok(existsSync(cache), 'the code cache for that build is there');

  // V8 accepts the cache in the environment deliveries run in (Exim empties it).
  const probe = `const { Script } = require('node:vm'); const { readFileSync } = require('node:fs');
    const s = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(${JSON.stringify(BUNDLE)}, 'utf8') + '\\n})',
      { filename: ${JSON.stringify(BUNDLE)}, cachedData: readFileSync(${JSON.stringify(cache)}) });
    process.stdout.write(String(s.cachedDataRejected));`;
  const r = runText(process.execPath, ['-e', probe], { env: CLEAN_ENV });
  t.equal(r.stdout, 'false', 'the code cache is accepted');

  const run = runText(process.execPath, [BIN, ...ARGS, '--dry-run'], { input: HEADER + 'hi\n', env: CLEAN_ENV });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /^To: Alice <alice@example\.org>$/m, 'and the bundle answers');
});

t.test('a 100 MB message is drained in bounded memory', { skip: built }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-perf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = join(dir, 'big.eml');
  const fd = openSync(big, 'w');
  writeSync(fd, HEADER);
  const block = Buffer.alloc(1 << 20, 'x'.repeat(79) + '\n');
  for (let i = 0; i < 100; i++) writeSync(fd, block);
  closeSync(fd);

  const gnuTime = runText('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  /** Exit status and peak RSS (KB, when GNU time is there) of one delivery with stdin from `file`. */
  const deliver = (file: string, extra: string[]) => {
    const cmd = [process.execPath, BIN, ...ARGS, '--sendmail', '/bin/true', ...extra];
    const how = { stdinFile: file, ignoreStdout: true, env: CLEAN_ENV, timeout: 120_000 };
    const r = gnuTime ? runText('/usr/bin/time', ['-f', '%M', ...cmd], how) : runText(cmd[0]!, cmd.slice(1), how);
    const lines = r.stderr.trim().split('\n');
    return { status: r.status, kb: gnuTime ? Number(lines.pop()) : undefined, stderr: lines.join('\n') };
  };

  const small = join(dir, 'small.eml');
  const sfd = openSync(small, 'w');
  writeSync(sfd, HEADER + 'hi\n');
  closeSync(sfd);
  const reference = deliver(small, []);
  t.equal(reference.status, 0, reference.stderr);

  for (const extra of [[], ['--return-message', 'true']]) {
    const r = deliver(big, extra);
    t.equal(r.status, 0, `100 MB ${extra.join(' ') || 'plain'}: ${r.stderr}`);
    if (r.kb !== undefined && reference.kb !== undefined) {
      // The bar is 20 MB over the 2 KB case (npm run bench); the test allows 50.
      t.ok(r.kb - reference.kb < 50 * 1024, `peak RSS ${(r.kb / 1024).toFixed(1)} MB vs ${(reference.kb / 1024).toFixed(1)} MB for a small message`);
    }
  }
});
