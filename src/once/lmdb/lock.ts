/**
 * A kernel file lock (flock(2)) for Node, which has none built in, without a
 * native module of our own.
 *
 * How: we open the lock file ourselves and hand that very descriptor to a tiny
 * helper as its standard input — util-linux/BSD `flock(1)` in its "lock this
 * file descriptor" form (`flock -x -w SECONDS 0`), or, where that program is
 * missing, a one-line `perl` calling flock() on STDIN. flock(2) locks belong to
 * the *open file description*, which the helper shares with us; when the helper
 * exits, the lock stays held by our descriptor until we close it (or until the
 * kernel closes it because this process died — so a crashed delivery can never
 * leave a stale lock behind). The helper only performs the one system call.
 *
 * Cost: one short-lived process (about 2 ms) per lock. A timeout gives a clear
 * "locked for more than N seconds" error instead of hanging the MTA.
 */
import { closeSync, constants, existsSync, fchmodSync, openSync } from 'node:fs';
import { runSync } from '../../child/run-sync.js';

export interface HeldLock {
  /** Release the lock (closes our descriptor). Safe to call twice. */
  release(): void;
}

export class LockError extends Error {
  constructor(
    readonly reason: 'timeout' | 'open' | 'helper',
    message: string,
  ) {
    super(message);
  }
}

const FLOCK_CANDIDATES = ['/usr/bin/flock', '/bin/flock', '/usr/local/bin/flock', '/opt/homebrew/bin/flock'];
const PERL_CANDIDATES = ['/usr/bin/perl', '/bin/perl', '/usr/local/bin/perl'];
const TIMEOUT_EXIT = 75;

const PERL_SCRIPT =
  'use Fcntl qw(:flock); open(my $f, "<&=", 0) or exit 70; ' +
  '$SIG{ALRM} = sub { exit 75 }; alarm($ARGV[0]); ' +
  'flock($f, $ARGV[1] eq "x" ? LOCK_EX : LOCK_SH) or exit 71; alarm(0); exit 0';

let helper: { kind: 'flock' | 'perl'; path: string } | undefined;

function findHelper(): { kind: 'flock' | 'perl'; path: string } {
  if (helper) return helper;
  const override = process.env.AUTOREPLY_FLOCK;
  if (override) return (helper = { kind: override.endsWith('perl') ? 'perl' : 'flock', path: override });
  const f = FLOCK_CANDIDATES.find((p) => existsSync(p));
  if (f) return (helper = { kind: 'flock', path: f });
  const p = PERL_CANDIDATES.find((x) => existsSync(x));
  if (p) return (helper = { kind: 'perl', path: p });
  // Last resort: whatever PATH finds.
  return (helper = { kind: 'flock', path: 'flock' });
}

/**
 * Open (creating with `mode` if needed, never following a symlink) and lock
 * `lockPath`, waiting at most `timeoutMs`. Throws LockError.
 */
export function lockFile(
  lockPath: string,
  opts: { exclusive: boolean; timeoutMs: number; mode: number },
): HeldLock {
  let fd: number;
  let created = false;
  try {
    fd = openSync(lockPath, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_CREAT | constants.O_EXCL, opts.mode);
    created = true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'EEXIST') throw new LockError('open', `cannot create lock file ${lockPath}: ${describeErrno(err)}`);
    try {
      fd = openSync(lockPath, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (e2) {
      const err2 = e2 as NodeJS.ErrnoException;
      if (err2.code === 'EACCES' || err2.code === 'EPERM' || err2.code === 'EROFS') {
        try {
          fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW);
        } catch (e3) {
          throw new LockError('open', `cannot open lock file ${lockPath}: ${describeErrno(e3 as NodeJS.ErrnoException)}`);
        }
      } else {
        throw new LockError('open', `cannot open lock file ${lockPath}: ${describeErrno(err2)}`);
      }
    }
  }
  if (created) {
    try {
      fchmodSync(fd, opts.mode); // exact mode, whatever the umask (as Exim does)
    } catch {
      /* not fatal */
    }
  }
  const seconds = Math.max(0.001, opts.timeoutMs / 1000);
  const h = findHelper();
  const args =
    h.kind === 'flock'
      ? [opts.exclusive ? '-x' : '-s', '-w', seconds.toFixed(3), '-E', String(TIMEOUT_EXIT), '0']
      : ['-e', PERL_SCRIPT, String(Math.max(1, Math.ceil(seconds))), opts.exclusive ? 'x' : 's'];
  const r = runSync(h.path, args, fd);
  if (r.error || r.status !== 0) {
    closeSync(fd);
    if (r.status === TIMEOUT_EXIT)
      throw new LockError('timeout', `locked by another process for more than ${formatSeconds(seconds)} (lock file ${lockPath})`);
    const why = r.error
      ? `cannot run ${h.path} to lock ${lockPath}: ${describeErrno(r.error as NodeJS.ErrnoException)}`
      : `cannot lock ${lockPath}: ${h.path} exited ${r.status ?? r.signal}${firstLine(r.stderr) ? ` (${firstLine(r.stderr)})` : ''}`;
    throw new LockError('helper', why);
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

function firstLine(s: string | null | undefined): string {
  return (s ?? '').split('\n')[0]!.trim();
}

function formatSeconds(s: number): string {
  return Number.isInteger(s) ? `${s} s` : `${Number(s.toFixed(3))} s`;
}

export function describeErrno(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'is a symbolic link (refusing to follow it)';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e.code ? `${e.code}: ${e.message}` : e.message;
  }
}
