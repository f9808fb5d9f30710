import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { usageError } from '../../errors.js';

/**
 * Whose vacation `autoreply vacation on|off|status` switches: the user running
 * it, or — run by root — the user named with --user, whose identity the process
 * then takes for good (initgroups, setgid, setuid) before touching a file. So
 * everything is created owned by that user, and nothing in their home (a
 * symbolic link planted as ~/.forward.autoreply-saved, say) can make root write
 * or read where the user could not.
 */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  /** The home folder of the password database: the $home the MTA gives the pipe. */
  home: string;
  /** The GECOS full name (before the first comma), '' when none. */
  fullName: string;
}

/** A passwd line `name:x:uid:gid:gecos:home:shell` to an Account. */
export function parsePasswdLine(line: string): Account | undefined {
  const f = line.split(':');
  if (f.length < 7) return undefined;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[0] === '' || !f[5]!.startsWith('/')) return undefined;
  return { name: f[0]!, uid, gid, home: f[5]!, fullName: (f[4] ?? '').split(',')[0]!.trim() };
}

/**
 * The account named (or numbered) `key`: `getent passwd` (NSS: LDAP and the
 * like too), or /etc/passwd where getent is missing.
 */
export function lookupAccount(key: string): Account | undefined {
  const r = spawnSync('getent', ['passwd', key], { encoding: 'utf8', timeout: 10000 });
  if (r.error === undefined && r.status !== null && r.status !== 127) {
    return r.status === 0 ? parsePasswdLine(r.stdout.split('\n')[0] ?? '') : undefined;
  }
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const a = parsePasswdLine(line);
    if (a && (a.name === key || String(a.uid) === key)) return a;
  }
  return undefined;
}

/**
 * The account the command acts for, from the real user and --user: root must
 * name a user (and not root: root's mail is read by an administrator, not sent
 * on vacation); anyone else acts for themselves only. Exit 64 otherwise.
 */
export function accountFor(user: string | undefined, uid: number, lookup = lookupAccount): Account {
  if (uid === 0) {
    if (user === undefined) throw usageError('run as root: name the user whose vacation this is with --user NAME');
    const a = lookup(user);
    if (!a) throw usageError(`--user ${user}: no such user`);
    if (a.uid === 0) throw usageError(`--user ${user}: that is root, whose vacation makes no sense (root's mail goes to an administrator)`);
    return a;
  }
  const self = lookup(String(uid));
  if (!self) throw usageError(`user id ${uid} is not in the password database`);
  if (user !== undefined && user !== self.name) throw usageError(`--user ${user}: only root may switch another user's vacation`);
  return self;
}

/** Root becomes `a` (groups, gid, uid), irrevocably; anyone else is `a` already. */
export function becomeUser(a: Account): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  // process.initgroups (POSIX) is missing from @types/node
  const initgroups = (process as unknown as { initgroups?: (user: string, extraGroup: number) => void }).initgroups;
  if (initgroups) initgroups.call(process, a.name, a.gid);
  else process.setgroups?.([a.gid]);
  process.setgid?.(a.gid);
  process.setuid?.(a.uid);
}
