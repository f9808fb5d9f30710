/**
 * Where the process is the point: a submission program that hangs, signals in
 * the middle of a delivery, a damaged database that would crash LMDB, a stdin
 * that is no message. Real bin/autoreply processes, as an MTA runs them.
 */
import t from 'tap';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PERSONAL, fakeSendmail } from '../helpers/cli.js';
import { startAutoreply } from '../helpers/exec.js';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const base = ['--sender', 'alice@remote.example', '--recipient', 'bob@example.com', '--to', '$reply_address', '--text', 'Away.'];

function tempDir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'autoreply-proc-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** bin/autoreply as an MTA's pipe runs it: a clean environment, the message on stdin. */
function autoreply(args: string[], input: string | Buffer = PERSONAL) {
  return startAutoreply([...args], { input, env: ENV, extendEnv: false, reject: false, timeout: 60_000, stripFinalNewline: false });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (ok: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return ok();
};

/** A submission program that saves its pid and the message, then sleeps (ignoring nothing: TERM ends it). */
function hangingSendmail(dir: string): { path: string; pidFile: string; msgFile: string } {
  const path = join(dir, 'sendmail');
  const pidFile = join(dir, 'sendmail.pid');
  const msgFile = join(dir, 'sendmail.msg');
  writeFileSync(path, `#!/bin/sh\necho $$ > '${pidFile}'\ncat > '${msgFile}'\nexec sleep 600\n`);
  chmodSync(path, 0o755);
  return { path, pidFile, msgFile };
}

t.test('a submission program that never exits: stopped after --submit-timeout, exit 75, the record stays', async (t) => {
  const dir = tempDir(t);
  const sm = hangingSendmail(dir);
  const db = join(dir, 'once');
  const start = Date.now();
  const r = await autoreply([...base, '--once', db, '--sendmail', sm.path, '--submit-timeout', '2']);
  const took = Date.now() - start;
  t.equal(r.exitCode, 75);
  t.equal(r.stderr, `autoreply: reply not sent: ${sm.path} did not finish within 2 s and was stopped\n`);
  t.ok(took >= 2000 && took < 30_000, `gave up after ${took} ms`);
  const pid = Number(readFileSync(sm.pidFile, 'utf8'));
  t.ok(await waitFor(() => !alive(pid)), 'the submission program was stopped');
  // the retry finds the record: rather miss a reply than send two
  const ok = fakeSendmail();
  const retry = await autoreply([...base, '--once', db, '--sendmail', ok.path, '--verbose']);
  t.equal(retry.exitCode, 0);
  t.match(retry.stderr, /no reply: previously sent to alice@remote\.example/);
  t.same(ok.messages(), []);
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`${signal} in the middle of a delivery: the database still opens, a retry sends no second reply`, async (t) => {
    const dir = tempDir(t);
    const sm = hangingSendmail(dir);
    const db = join(dir, 'once');
    const child = autoreply([...base, '--once', db, '--sendmail', sm.path]);
    t.ok(await waitFor(() => existsSync(sm.pidFile) && readFileSync(sm.pidFile, 'utf8').trim() !== ''), 'the delivery reached its submission');
    const sendmailPid = Number(readFileSync(sm.pidFile, 'utf8'));
    child.kill(signal);
    const r = await child;
    t.equal(r.signal, signal, `autoreply ended by ${signal}`);
    if (signal === 'SIGTERM') t.ok(await waitFor(() => !alive(sendmailPid)), 'its submission program was stopped first');
    else process.kill(sendmailPid, 'SIGKILL'); // nobody can stop a child for a SIGKILLed parent
    const list = await startAutoreply(['once', 'list', '--once', db], { env: ENV, extendEnv: false, reject: false });
    t.equal(list.exitCode, 0, `once list: ${list.stderr}`);
    t.match(list.stdout, /alice@remote\.example/, 'the entry recorded before submitting is there');
    const ok = fakeSendmail();
    const retry = await autoreply([...base, '--once', db, '--sendmail', ok.path]);
    t.equal(retry.exitCode, 0, retry.stderr);
    t.same(ok.messages(), [], 'the MTA retry sends nothing: the reply may have gone out already');
  });
}

t.test('a stdin that cannot be read: 75 with "cannot read the message"', async (t) => {
  const r = await execa('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'sh', '-c', `exec "$0" "$@" < /`, process.execPath, BIN, ...base, '--sendmail', '/bin/true'], { env: ENV, extendEnv: false, reject: false });
  t.equal(r.exitCode, 75);
  t.equal(r.stderr, 'autoreply: cannot read the message from standard input: EISDIR');
});

/** A database with entries, made by deliveries. */
async function populated(t: { teardown(fn: () => void): void }) {
  const dir = tempDir(t);
  const db = join(dir, 'once');
  const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ key: `sender${i}@remote.example`, lastReply: '2026-11-01T00:00:00Z', note: 'x'.repeat(50) })).join('\n');
  const imp = await startAutoreply(['once', 'import', '--once', db], { input: lines, env: ENV, extendEnv: false, reject: false });
  if (imp.exitCode !== 0) throw new Error(imp.stderr);
  return { dir, db };
}

const DAMAGE: Record<string, (db: string) => void> = {
  'truncated to 0 bytes': (db) => truncateSync(db, 0),
  'truncated to 100 bytes': (db) => truncateSync(db, 100),
  'truncated to half': (db) => truncateSync(db, Math.floor(statSync(db).size / 2)),
  'random bytes over the meta pages': (db) => {
    const fd = openSync(db, 'r+');
    const junk = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256));
    writeSync(fd, junk, 0, junk.length, 16);
    closeSync(fd);
  },
};

for (const [what, damage] of Object.entries(DAMAGE)) {
  t.test(`a database ${what}: 75 and one line naming it, never a crash or a silent reset`, async (t) => {
    const { db } = await populated(t);
    damage(db);
    const before = readFileSync(db);
    const sm = fakeSendmail();
    const r = await autoreply([...base, '--once', db, '--sendmail', sm.path]);
    t.equal(r.signal, undefined, 'no signal');
    t.equal(r.exitCode, 75);
    const line = r.stderr;
    t.match(line, new RegExp(`^autoreply: once database ${db}: (is|was) .*left untouched`));
    t.equal(line.split('\n').filter(Boolean).length, 1, 'one line');
    t.same(sm.messages(), [], 'nothing sent');
    t.same(readFileSync(db), before, 'the file is left as it was');
    for (const cmd of [['list'], ['export'], ['check']]) {
      const c = await startAutoreply(['once', ...cmd, '--once', db], { env: ENV, extendEnv: false, reject: false });
      t.equal(c.signal, undefined, `once ${cmd[0]}: no signal`);
      t.equal(c.exitCode, 75, `once ${cmd[0]}: 75`);
      if (cmd[0] === 'check') {
        t.match(c.stderr, new RegExp(`^autoreply: once database ${db}: (is|was) `), 'once check: the file and what is wrong with it');
        t.notMatch(c.stderr, /(damaged|truncated).*(damaged|truncated)/, "said once");
        t.equal(c.stderr.split('\n').filter(Boolean).length, 1, 'one line');
      }
    }
  });
}

t.test('once check on a healthy database reads every page and says so', async (t) => {
  const { db } = await populated(t);
  const c = await startAutoreply(['once', 'check', '--once', db], { env: ENV, extendEnv: false, reject: false });
  t.equal(c.exitCode, 0, c.stderr);
  t.match(c.stdout, new RegExp(`^${db}: LMDB database, \\d+ bytes, page size \\d+`));
  t.match(c.stdout, /2000 entries .*; every page read, no damage found$/);
});
