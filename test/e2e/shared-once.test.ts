/**
 * End to end with two real Exim instances sharing one once database: two
 * private Exim configurations with their own spools (exim-setup.ts), each
 * `.include`-ing examples/shared/exim/router.conf and transport.conf as the
 * installed package holds them, run the installed autoreply with
 * `--config` (examples/shared/vacation.conf, its `once =` line pointed at the
 * test's server) and `--once-password-file` (a file readable by the mailbox
 * owner, whom the pipe runs as). The server is a private one
 * (test/helpers/servers.ts), reached over TCP on 127.0.0.1 with a password, as
 * a database host would be:
 *  - PostgreSQL: a role that may not create tables, the tables made by
 *    examples/shared/once-postgresql.sql run as the superuser;
 *  - Redis: the ACL user that the comments of examples/shared/exim/transport.conf
 *    describe (its rules are taken from there).
 * Both Exims deliver a message from the same sender to the same user at the
 * same time: both originals are delivered, exactly one reply arrives in the
 * sender's /var/mail mailbox, the server holds one entry in the mailbox's
 * scope; a later message through either host is not answered again.
 *
 * Needs root, Exim, and PostgreSQL or Redis (each part skips with one line).
 */
import t, { type Test } from 'tap';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromText } from '../../src/bytes.js';
import { openOnceStore } from '../../src/once/open.js';
import { skipUnlessPostgres, skipUnlessRedis, startPostgres, startRedis } from '../helpers/servers.js';
import {
  builtReason,
  checkRunnableBy,
  eximDropQueued,
  eximSkipReason,
  ensureUser,
  header,
  mailboxAfterDelivery,
  message,
  oneRunAtATime,
  openUp,
  parseMbox,
  programCommand,
  readIfExists,
  removeSystemMailbox,
  runAs,
  runAsync,
  systemEximDeliversLocally,
  tailFile,
  userIds,
} from './helpers.js';
import { eximWorld, type EximWorld } from './exim-setup.js';
import { sharedInstall } from './install.js';

const SENDER = 'ar-olive';
const USER = 'ar-sam';
const PASSWORD = 'e2e-Shared+pw';

const skip = eximSkipReason() ?? builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  await oneRunAtATime('shared-once');
  const app = await sharedInstall();
  const base = mkdtempSync('/tmp/autoreply-e2e-shared-');
  openUp(base);
  chmodSync(base, 0o755);
  const home = join(base, 'home', USER);
  ensureUser(SENDER, join(base, 'home', SENDER));
  ensureUser(USER, home);
  writeFileSync(join(home, '.vacation.msg'), 'I am away this week.\n');
  chmodSync(join(home, '.vacation.msg'), 0o644);
  const worlds: EximWorld[] = [];
  const cleanupMail = () => {
    removeSystemMailbox(SENDER);
    removeSystemMailbox(USER);
    eximDropQueued([`${SENDER}@localhost`, `${USER}@localhost`]);
  };
  cleanupMail();
  t.teardown(() => {
    if (process.env.AUTOREPLY_E2E_KEEP) return void t.comment(`kept ${base}, the Exim folders and /var/mail/${SENDER}`);
    for (const w of worlds) w.cleanup();
    cleanupMail();
    rmSync(base, { recursive: true, force: true });
  });

  const installedExample = (rel: string) => readFileSync(join(app.examples, 'shared', rel), 'utf8');

  t.test('setup', async (t) => {
    t.equal(checkRunnableBy(USER, app.bin), undefined, 'the installed autoreply runs as the user the pipe runs as');
    t.equal(systemEximDeliversLocally(SENDER), undefined, 'the system Exim delivers @localhost to /var/mail');
    t.match(installedExample('vacation.conf'), /^once = postgresql:\/\/\S+$/m, 'the installed example names a server in "once ="');
  });

  /**
   * Two Exim hosts whose autoreply uses `once` (a URL without password) and a
   * password file each; both deliver one message from SENDER to USER at once.
   */
  async function twoHosts(t: Test, once: string, readEntries: () => Promise<string[]>) {
    const { uid, gid } = userIds(USER);
    const hosts: EximWorld[] = [];
    for (const n of [1, 2]) {
      const conf = join(base, `host${n}.conf`);
      const pw = join(base, `host${n}.once-password`);
      // the example as installed, with this test's server in its "once =" line
      writeFileSync(conf, installedExample('vacation.conf').replace(/^once = .*$/m, `once = ${once}`));
      chmodSync(conf, 0o644);
      writeFileSync(pw, `${PASSWORD}\n`);
      chownSync(pw, uid, gid);
      chmodSync(pw, 0o600);
      const w = eximWorld(`${app.bin} --config ${conf} --once-password-file ${pw}`, join(app.examples, 'shared'));
      worlds.push(w);
      hosts.push(w);
      t.comment(`host ${n}: ${w.conf}`);
    }
    cleanupMail();
    rmSync(join(home, '.vacation.log'), { force: true });
    const replies = () => parseMbox(readIfExists(`/var/mail/${SENDER}`));
    const context = () => ({
      host1: tailFile(hosts[0]!.mainlog),
      host2: tailFile(hosts[1]!.mainlog),
      vacationLog: readIfExists(join(home, '.vacation.log')),
    });
    const send = (w: EximWorld, n: number, subject: string) =>
      runAsync('/usr/sbin/exim', ['-C', w.conf, '-odi', '-oi', '-f', `${SENDER}@localhost`, `${USER}@localhost`], {
        input: message({ From: `Olive <${SENDER}@localhost>`, To: `Sam <${USER}@localhost>`, Subject: subject, 'Message-ID': `<shared.${n}.${Date.now()}@laptop.localhost>` }),
      });

    const [r1, r2] = await Promise.all([send(hosts[0]!, 1, 'Project plan'), send(hosts[1]!, 2, 'Project plan (again)')]);
    t.equal(r1.status, 0, 'host 1 accepted the message', { stderr: r1.stderr });
    t.equal(r2.status, 0, 'host 2 accepted the message', { stderr: r2.stderr });
    for (const [i, w] of hosts.entries()) t.equal(parseMbox(readIfExists(w.mailbox(USER))).length, 1, `host ${i + 1} delivered the original`, context());
    const mail = await mailboxAfterDelivery(replies, 1, `${SENDER}@localhost`);
    t.equal(mail.length, 1, `exactly one reply in /var/mail/${SENDER}`, context());
    t.match(header(mail[0]!, 'Subject') ?? '', /^Re: Project plan/, 'the reply');
    t.equal(header(mail[0]!, 'Auto-Submitted'), 'auto-replied');
    t.match(mail[0]!.body, /I am away this week\./, '~/.vacation.msg');
    const log = readIfExists(join(home, '.vacation.log'));
    t.match(log, /previously sent to .*ar-olive@localhost/, 'the other host found the record', context());
    t.same(await readEntries(), [`${USER}@localhost|${SENDER}@localhost|1`], "the server holds one entry, in the mailbox's scope");

    // later, through either host: not answered again
    const r3 = await send(hosts[1]!, 3, 'One more thing');
    t.equal(r3.status, 0, { stderr: r3.stderr });
    const r4 = await send(hosts[0]!, 4, 'And another');
    t.equal(r4.status, 0, { stderr: r4.stderr });
    await mailboxAfterDelivery(replies, 1, `${SENDER}@localhost`);
    t.equal(replies().length, 1, 'still one reply', context());
    t.equal(parseMbox(readIfExists(hosts[0]!.mailbox(USER))).length + parseMbox(readIfExists(hosts[1]!.mailbox(USER))).length, 4, 'every original delivered');
    // the administrator's view, as the mailbox owner with the hosts' password file
    const check = runAs(USER, programCommand(app.bin, `once check --once ${once} --once-password-file ${join(base, 'host1.once-password')}`));
    t.equal(check.status, 0, `autoreply once check: ${check.stdout}${check.stderr}`);
    const list = runAs(USER, programCommand(app.bin, `once list --once ${once} --once-password-file ${join(base, 'host1.once-password')}`));
    t.match(list.stdout, new RegExp(`^\\S+ +1  ${USER}@localhost: ${SENDER}@localhost  Re: Project plan`), `autoreply once list: ${list.stdout}${list.stderr}`);
    t.notMatch(readIfExists(hosts[0]!.mainlog) + readIfExists(hosts[1]!.mainlog), /== .*autoreply|\*\* .*autoreply|defer/i, 'no deferral or failure in the Exim logs');
    for (const w of hosts) {
      w.cleanup();
      worlds.splice(worlds.indexOf(w), 1);
    }
  }

  const entriesOf = async (url: string) => {
    const store = await openOnceStore(fromText(url), { mode: 0o600, timeoutMs: 30_000 });
    try {
      const out: string[] = [];
      for await (const e of store.entries('key', undefined)) out.push(`${e.scope ?? ''}|${e.key}|${e.count}`);
      return out;
    } finally {
      await store.close();
    }
  };

  t.test('two Exim hosts, one PostgreSQL', { skip: skipUnlessPostgres() }, async (t) => {
    const pg = await startPostgres({ t });
    // the mail hosts' role may not create tables: the administrator runs the example SQL
    await pg.createRestrictedRole('autoreply', PASSWORD);
    const sql = installedExample('once-postgresql.sql').replace(/\bmailrole\b/g, 'autoreply');
    await pg.psql(sql);
    const once = `postgresql://autoreply@127.0.0.1:${pg.port}/postgres`;
    await twoHosts(t, once, () => entriesOf(`postgresql://autoreply:${encodeURIComponent(PASSWORD)}@127.0.0.1:${pg.port}/postgres`));
  });

  t.test('two Exim hosts, one Redis', { skip: skipUnlessRedis() }, async (t) => {
    // the ACL user as examples/shared/exim/transport.conf describes it
    const comment = installedExample('exim/transport.conf');
    const m = /^#\s+user autoreply on >PASSWORD (.*)\n((?:#\s{4,}\+.*\n)*)/m.exec(comment);
    t.ok(m, 'the example gives the ACL of the Redis user');
    const rules = `${m![1]} ${m![2]!.replace(/^#\s+/gm, '').replace(/\n/g, ' ')}`.trim();
    t.comment(`ACL: ${rules}`);
    const redis = await startRedis({ t, password: 'admin-only-pw', user: { name: 'autoreply', password: PASSWORD, rules }, aof: true });
    const once = `redis://autoreply@127.0.0.1:${redis.port}`;
    await twoHosts(t, once, () => entriesOf(`redis://autoreply:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`));
  });
}
