/**
 * Moving a host's history from its LMDB file to a shared server, as an
 * administrator would, with real processes throughout:
 *
 *   autoreply once export --once OLD.db > history.jsonl
 *   autoreply once import --once URL --recipient bob@example.com < history.jsonl
 *
 * The LMDB database is made by real deliveries (four senders, one answered
 * twice). For PostgreSQL and Redis (private servers; each skips with one line
 * when not installed): the import reports what it did, `autoreply once list`
 * shows the same entries (time, count, key, note) in the mailbox's scope, an
 * import run twice changes nothing, a delivery from an imported sender is
 * suppressed ("previously sent") and one from a new sender is answered.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAutoreply } from '../helpers/exec.js';
import { builtReason } from './util.js';
import { deliver, failure, makeHost, MAILBOX, skipBackend, startShared, submissions, type BackendName } from './hosts.js';

const built = builtReason();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function onceCli(args: string[], opts: { input?: string; passwordFile?: string | undefined } = {}) {
  const r = await startAutoreply(['once', ...args, ...(opts.passwordFile ? ['--once-password-file', opts.passwordFile] : [])], {
    input: opts.input ?? '',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC' },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
    stripFinalNewline: false,
  });
  return { status: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Listed {
  key: string;
  lastReply: string;
  count: number;
  note?: string;
  scope?: string;
}

t.test('LMDB history exported and imported into each server', { skip: built }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-migration-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = join(dir, 'old.db');
  const oldOut = join(dir, 'old.submitted');
  const host = makeHost(dir, 'old-host', old, oldOut, undefined);

  // the history: four senders answered, one of them twice (a short once_repeat for it)
  const senders = ['alice@example.org', 'Carol.Upper@Example.NET', 'dave@example.com', 'erin@example.org'];
  for (const s of senders) {
    const r = await deliver(host, s);
    t.equal(r.exitCode, 0, failure(r));
  }
  await sleep(1100);
  const again = await deliver(host, 'alice@example.org', { extraArgs: ['--once-repeat', '1s'], n: 7 });
  t.equal(again.exitCode, 0, failure(again));
  t.equal(submissions(oldOut).length, 5, 'five replies made the history');

  const exported = await onceCli(['export', '--once', old]);
  t.equal(exported.status, 0, exported.stderr);
  const history = exported.stdout;
  t.equal(history.trim().split('\n').length, 4, 'four entries exported');
  const oldList = await onceCli(['list', '--json', '--once', old]);
  t.equal(oldList.status, 0, oldList.stderr);
  const oldEntries = JSON.parse(oldList.stdout) as Listed[];
  t.same(
    oldEntries.map((e) => [e.key, e.count]),
    [
      ['alice@example.org', 2],
      ['carol.upper@example.net', 1],
      ['dave@example.com', 1],
      ['erin@example.org', 1],
    ],
    'the LMDB database as deliveries left it',
  );
  const oldText = (await onceCli(['list', '--once', old])).stdout;

  for (const backend of ['postgres', 'redis'] as BackendName[]) {
    t.test(`into ${backend}`, { skip: skipBackend(backend) }, async (t) => {
      const db = await startShared(backend, t, dir);
      const out = join(dir, `${backend}.submitted`);
      const h = makeHost(join(dir, backend), 'new-host', db.onceA('migrated'), out, db.password);
      const url = db.onceA('migrated');

      const imported = await onceCli(['import', '--once', url, '--recipient', MAILBOX], { input: history, passwordFile: h.passwordFile });
      t.equal(imported.status, 0, imported.stderr);
      t.equal(imported.stdout, 'imported 4 of 4 (4 new, 0 updated, 0 already newer)\n', 'the import says what it did');

      const listed = await onceCli(['list', '--json', '--once', url], { passwordFile: h.passwordFile });
      t.equal(listed.status, 0, listed.stderr);
      const entries = JSON.parse(listed.stdout) as Listed[];
      t.same(entries, oldEntries.map((e) => ({ ...e, scope: MAILBOX })), "once list: the same entries, in the mailbox's scope");
      const mine = await onceCli(['list', '--once', url, '--recipient', MAILBOX], { passwordFile: h.passwordFile });
      t.equal(mine.stdout.replaceAll(`  ${MAILBOX}: `, '  '), oldText, 'the same lines as the LMDB list (with the mailbox named)');
      const other = await onceCli(['list', '--once', url, '--recipient', 'carol@example.com'], { passwordFile: h.passwordFile });
      t.equal(other.stdout, '', "another mailbox's list is empty");

      const twice = await onceCli(['import', '--once', url, '--recipient', MAILBOX], { input: history, passwordFile: h.passwordFile });
      t.equal(twice.status, 0, twice.stderr);
      t.match(twice.stdout, /^imported 0 of 4 \(0 new, 0 updated, 4 already newer\)\n$/, 'a second import changes nothing');
      t.same(JSON.parse((await onceCli(['list', '--json', '--once', url], { passwordFile: h.passwordFile })).stdout), entries, 'the same entries');

      for (const s of senders) {
        const r = await deliver(h, s);
        t.equal(r.exitCode, 0, failure(r));
      }
      t.same(submissions(out), [], 'no imported sender is answered again');
      t.match(readFileSync(join(h.home, 'autoreply.log'), 'utf8'), /previously sent to .*alice@example\.org/, 'the log says why');
      const fresh = await deliver(h, 'frank@example.org');
      t.equal(fresh.exitCode, 0, failure(fresh));
      t.same(submissions(out), [{ host: 'new-host', to: 'frank@example.org' }], 'a new sender is answered');
    });
  }
});
