/**
 * A private Exim configuration for the end-to-end tests: it routes mail for the
 * local users through examples/exim/router.conf and examples/exim/transport.conf
 * (included as they are, not copied: the copies an installed package holds, which
 * Exim can read when it re-executes itself as its own user) into the installed
 * autoreply, and delivers to mailboxes in a temporary folder. autoreply then
 * submits its reply through the real /usr/sbin/sendmail, that is, the system's
 * own Exim configuration (Debian default: local users @localhost go to
 * /var/mail/USER with Return-path added).
 *
 * Why the reply goes through the system configuration: an ordinary user (the pipe
 * runs autoreply as the mailbox owner) cannot make Exim use another configuration
 * (`-C` drops privileges unless the caller is root or the Exim user), and a real
 * installation has only one configuration anyway.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openUp, ownedDir, run } from './helpers.js';

const TRUSTED = '/etc/exim4/trusted_configs';

export interface EximWorld {
  work: string;
  conf: string;
  mailDir: string;
  mainlog: string;
  /** Deliver `msg` from `sender` ('' = a bounce) to `rcpt` with the private configuration. */
  deliver(sender: string, rcpt: string, msg: string): { status: number | null; stderr: string };
  /** The private mailbox of a local user (the original messages). */
  mailbox(user: string): string;
  cleanup(): void;
}

/**
 * `commandMacro`: the value of AUTOREPLY_COMMAND (transport.conf) for this test;
 * `examples`: the examples folder of the installed package.
 */
export function eximWorld(commandMacro: string, examples: string): EximWorld {
  const work = mkdtempSync('/tmp/autoreply-e2e-exim-');
  openUp(work);
  const spool = join(work, 'spool');
  const log = join(work, 'log');
  const mailDir = join(work, 'mail');
  ownedDir(spool, 'Debian-exim', 0o750);
  ownedDir(log, 'Debian-exim', 0o750);
  mkdirSync(mailDir, { recursive: true });
  chmodSync(mailDir, 0o1777);

  const conf = join(work, 'exim.conf');
  writeFileSync(
    conf,
    `# private configuration of the autoreply end-to-end test
primary_hostname = localhost
qualify_domain = localhost
domainlist local_domains = localhost
spool_directory = ${spool}
log_file_path = ${log}/%slog
trusted_users = root
keep_environment =
AUTOREPLY_COMMAND = ${commandMacro}

begin routers
.include ${join(examples, 'exim/router.conf')}

local_user:
  driver = accept
  domains = +local_domains
  check_local_user
  transport = mailbox

begin transports
.include ${join(examples, 'exim/transport.conf')}

mailbox:
  driver = appendfile
  file = ${mailDir}/$local_part_data
  delivery_date_add
  envelope_to_add
  return_path_add

begin retry
*   *   F,1h,10m
`,
  );
  chmodSync(conf, 0o644);
  // Exim re-executes itself as its own user for bounces: the configuration must be trusted
  const list = readFileSync(TRUSTED, { flag: 'a+' }).toString();
  if (!list.split('\n').includes(conf)) writeFileSync(TRUSTED, (list && !list.endsWith('\n') ? list + '\n' : list) + conf + '\n');
  chmodSync(TRUSTED, 0o644);

  return {
    work,
    conf,
    mailDir,
    mainlog: join(log, 'mainlog'),
    deliver(sender, rcpt, msg) {
      const r = run('/usr/sbin/exim', ['-C', conf, '-odi', '-oi', '-f', sender === '' ? '<>' : sender, rcpt], { input: msg });
      return { status: r.status, stderr: r.stderr };
    },
    mailbox: (user) => join(mailDir, user),
    cleanup() {
      const list = readFileSync(TRUSTED, 'utf8');
      writeFileSync(TRUSTED, list.split('\n').filter((l) => l !== conf).join('\n'));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
