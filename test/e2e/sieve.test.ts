/**
 * Dovecot Sieve end to end: the system Exim (Debian's default configuration)
 * delivers mail for ar-liam through his ~/.forward into the real Dovecot LDA,
 * /usr/lib/dovecot/dovecot-lda, started standalone as ar-liam with a private
 * configuration (-c) in a temporary folder: Maildir ~/Maildir, the Sieve plugin,
 * and examples/sieve/90-sieve-extprograms.conf (!include'd, with its
 * sieve_pipe_bin_dir moved into the temporary folder, where `autoreply` links
 * to the installed program: the packed package, install.ts). ar-liam's script
 * ~/.dovecot.sieve is examples/sieve/vacation.sieve as it is: `pipe :copy
 * "autoreply" ["vacation"]`. The LDA files the message into ~/Maildir; the reply
 * goes through the real /usr/sbin/sendmail to /var/mail/ar-lucy.
 *
 * Needs root, Debian's exim4-daemon-light with its default configuration,
 * dovecot-core and dovecot-sieve (.ci/run installs them).
 */
import t from 'tap';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXAMPLES,
  builtReason,
  checkRunnableBy,
  eximSkipReason,
  missingPackage,
  readIfExists,
  readMaildir,
  systemEximDeliversLocally,
  tailFile,
} from './helpers.js';
import { filterCases, userFile } from './filters.js';
import { userStage } from './stage.js';

const LDA = '/usr/lib/dovecot/dovecot-lda';
const EXTPROGRAMS = '/usr/lib/dovecot/modules/sieve/lib90_sieve_extprograms_plugin.so';

const skip =
  eximSkipReason() ??
  missingPackage('dovecot-core', LDA) ??
  missingPackage('dovecot-sieve', '/usr/lib/dovecot/modules/lib90_sieve_plugin.so') ??
  missingPackage('dovecot-sieve', EXTPROGRAMS) ??
  builtReason();
if (skip) {
  t.plan(0, skip);
} else {
  const stage = await userStage(t, 'sieve', ['ar-liam', 'ar-lucy']);
  const { app, work } = stage;
  const home = stage.home('ar-liam');

  // the private Dovecot configuration, readable by ar-liam (the LDA runs as him)
  const dovecot = join(work, 'dovecot');
  const pipeDir = join(dovecot, 'sieve-pipe');
  mkdirSync(pipeDir, { recursive: true, mode: 0o755 });
  // what the example's comment says: ln -s /usr/local/bin/autoreply SIEVE_PIPE_BIN_DIR/autoreply
  symlinkSync(app.bin, join(pipeDir, 'autoreply'));
  const extprograms = join(dovecot, '90-sieve-extprograms.conf');
  writeFileSync(
    extprograms,
    readFileSync(join(EXAMPLES, 'sieve/90-sieve-extprograms.conf'), 'utf8').replaceAll('/usr/lib/dovecot/sieve-pipe', pipeDir),
    { mode: 0o644 },
  );
  const ldaLog = join(dovecot, 'lda.log');
  userFile('ar-liam', ldaLog, '', 0o644);
  const config = join(dovecot, 'dovecot.conf');
  writeFileSync(
    config,
    `# private configuration of the autoreply end-to-end test: dovecot-lda only
base_dir = ${join(dovecot, 'run')}
log_path = ${ldaLog}
protocols =
ssl = no
hostname = localhost
postmaster_address = postmaster@localhost
mail_location = maildir:~/Maildir
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
!include ${extprograms}
`,
    { mode: 0o644 },
  );

  // ar-liam's own files: a .forward into the LDA, the example script, the text
  userFile('ar-liam', join(home, '.forward'), `"|${LDA} -c ${config} -a ar-liam@localhost"\n`);
  userFile('ar-liam', join(home, '.dovecot.sieve'), readFileSync(join(EXAMPLES, 'sieve/vacation.sieve'), 'utf8'));
  userFile('ar-liam', join(home, '.vacation.msg'), 'Away until Monday (Sieve).\nYour message "$h_subject:" will wait.\n');

  t.test('setup', async (t) => {
    t.equal(systemEximDeliversLocally('ar-lucy'), undefined, 'the system Exim delivers @localhost to /var/mail');
    t.equal(checkRunnableBy('ar-liam', app.bin), undefined, 'the installed autoreply runs as ar-liam');
  });

  t.test('examples/sieve: pipe :copy "autoreply" ["vacation"]', async (t) => {
    filterCases(t, {
      user: 'ar-liam',
      sender: 'ar-lucy',
      inbox: () => readMaildir(join(home, 'Maildir')),
      log: () => readIfExists(join(home, '.vacation.log')),
      reply: { subject: 'On vacation', body: /^Away until Monday \(Sieve\)\.\nYour message "Budget for July" will wait\.\n/ },
      context: () => ({
        eximLog: tailFile('/var/log/exim4/mainlog', 20),
        ldaLog: tailFile(ldaLog, 20),
        sieveLog: readIfExists(join(home, '.dovecot.sieve.log')),
      }),
    });
  });
}
