import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureUser, eximDropQueued, oneRunAtATime, openUp, removeSystemMailbox } from './helpers.js';
import { sharedInstall, type Installed } from './install.js';

/** What a test of a user's mail filter works with. */
export interface UserStage {
  /** The installed package (install.ts). */
  app: Installed;
  /** This test's folder (the users' homes are in it). */
  work: string;
  home(user: string): string;
}

/**
 * The stage of a test of users' mail filters, set the same way for each: this
 * test file alone on the machine (oneRunAtATime), the installed package, a work
 * folder readable by the users, the users with their homes in it, empty system
 * mailboxes and nothing of theirs in Exim's queue. All of it is removed when the
 * test ends, unless AUTOREPLY_E2E_KEEP is set.
 */
export async function userStage(
  t: { teardown(fn: () => void): void; comment(...m: unknown[]): void },
  name: string,
  users: string[],
): Promise<UserStage> {
  await oneRunAtATime(name);
  const app = await sharedInstall();
  const work = mkdtempSync(`/tmp/autoreply-e2e-${name}-`);
  openUp(work);
  const home = (user: string) => join(work, 'home', user);
  for (const u of users) {
    ensureUser(u, home(u));
    removeSystemMailbox(u);
  }
  eximDropQueued(users.map((u) => `${u}@localhost`));
  t.teardown(() => {
    if (process.env.AUTOREPLY_E2E_KEEP) return void t.comment(`kept ${work} and /var/mail/ar-*`);
    for (const u of users) removeSystemMailbox(u);
    rmSync(work, { recursive: true, force: true });
  });
  return { app, work, home };
}
