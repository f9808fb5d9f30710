/**
 * The cases the mail-filter tests (procmail, maildrop, Dovecot Sieve) share: the
 * system Exim delivers a message for a local user, the user's filter files it
 * into their mailbox and pipes a copy into the installed autoreply, whose reply
 * goes through the real /usr/sbin/sendmail into the sender's /var/mail file.
 *
 *  1. a mailing-list message: filed, not answered (the log names the list rule);
 *  2. a message that reached the user as a blind copy: filed, not answered
 *     (not-personal: the filter told autoreply whose mailbox it is);
 *  3. a personal message: filed, and exactly one reply comes back;
 *  4. another one from the same sender: filed, not answered again.
 *
 * In that order: refused messages are not recorded in the once database, so the
 * personal message is still the first one answered.
 */
import type { Test } from 'tap';
import { chownSync, writeFileSync } from 'node:fs';
import { eximSettled, header, mailboxAfterDelivery, message, parseMbox, readIfExists, run, userIds, waitUntil, type MboxMessage } from './helpers.js';

export interface FilterCase {
  /** The mailbox owner, whose filter runs autoreply. */
  user: string;
  /** Who writes to them (a local user: the replies land in /var/mail/SENDER). */
  sender: string;
  /** The messages the filter filed for the user, oldest first. */
  inbox(): MboxMessage[];
  /** autoreply's log for this user. */
  log(): string;
  /** What the reply must look like. */
  reply: { subject: string; body: RegExp };
  /** Logs and files to show when a check fails. */
  context(): Record<string, unknown>;
}

/** Write a file in a user's home, owned by them. */
export function userFile(user: string, path: string, text: string, mode = 0o644): void {
  writeFileSync(path, text, { mode });
  const { uid, gid } = userIds(user);
  chownSync(path, uid, gid);
}

/** Submit a message with the system's sendmail, delivered before it returns (-odi). */
export function send(sender: string, rcpt: string, msg: string) {
  return run('/usr/sbin/sendmail', ['-odi', '-oi', '-f', sender, rcpt], { input: msg });
}

export function filterCases(t: Test, c: FilterCase): void {
  const domain = 'localhost';
  const from = `${c.sender}@${domain}`;
  const to = `${c.user}@${domain}`;
  const replies = () => parseMbox(readIfExists(`/var/mail/${c.sender}`));
  const ctx = () => ({ ...c.context(), log: c.log(), replies: replies().map((m) => m.raw) });
  let filed = 0;
  /** Wait until the filter has filed one more message and the system queue is quiet. */
  const delivered = async () => {
    filed += 1;
    await waitUntil(() => c.inbox().length >= filed, 60000, 250);
    await eximSettled(from);
    return c.inbox();
  };

  t.test('a mailing-list message is filed and not answered', async (t) => {
    const r = send(
      from,
      to,
      message({
        From: `List member <${from}>`,
        To: `team@${domain}`,
        Subject: '[team] minutes of Monday',
        'List-Id': `<team.${domain}>`,
        'Message-ID': `<list.1.${c.user}@${domain}>`,
      }),
    );
    t.equal(r.status, 0, 'sendmail accepted it', { stderr: r.stderr });
    const inbox = await delivered();
    t.equal(inbox.length, 1, 'filed in the mailbox', ctx());
    t.equal(header(inbox[0]!, 'Subject'), '[team] minutes of Monday');
    t.equal(replies().length, 0, 'no reply', ctx());
    t.match(c.log(), new RegExp(`not sent to .*${from}>?: list`), 'the log names the rule', ctx());
  });

  t.test('a blind copy (the user is not in To/Cc) is filed and not answered', async (t) => {
    const r = send(
      from,
      to,
      message({ From: from, To: `somebody-else@${domain}`, Subject: 'Not for you, really', 'Message-ID': `<bcc.2.${c.user}@${domain}>` }),
    );
    t.equal(r.status, 0, 'sendmail accepted it', { stderr: r.stderr });
    const inbox = await delivered();
    t.equal(inbox.length, 2, 'filed in the mailbox', ctx());
    t.equal(replies().length, 0, 'no reply', ctx());
    t.match(c.log(), new RegExp(`not sent to .*${from}>?: not-personal`), 'the log names the rule', ctx());
  });

  t.test('a personal message is filed and answered once', async (t) => {
    const r = send(
      from,
      to,
      message({
        From: `Writer <${from}>`,
        To: `Reader <${to}>`,
        Subject: 'Budget for July',
        'Message-ID': `<personal.3.${c.user}@${domain}>`,
      }),
    );
    t.equal(r.status, 0, 'sendmail accepted it', { stderr: r.stderr });
    const inbox = await delivered();
    t.equal(inbox.length, 3, 'filed in the mailbox', ctx());
    t.equal(header(inbox[2]!, 'Subject'), 'Budget for July', 'the original, as sent');
    const mail = await mailboxAfterDelivery(replies, 1, from);
    t.equal(mail.length, 1, 'exactly one reply', ctx());
    const reply = mail[0];
    if (!reply) return;
    t.equal(header(reply, 'Return-path'), '<>', 'empty envelope sender');
    t.match(header(reply, 'To') ?? '', new RegExp(from), 'To: the sender');
    t.equal(header(reply, 'Subject'), c.reply.subject);
    t.equal(header(reply, 'In-Reply-To'), `<personal.3.${c.user}@${domain}>`);
    t.equal(header(reply, 'Auto-Submitted'), 'auto-replied');
    t.match(header(reply, 'From') ?? '', new RegExp(`(^|[<\\s])${c.user}@`), 'From: the mailbox owner (written by sendmail)');
    t.match(reply.body, c.reply.body, 'the text');
  });

  t.test('a second message from the same sender is filed, not answered again', async (t) => {
    const r = send(from, to, message({ From: from, To: to, Subject: 'Budget, again', 'Message-ID': `<again.4.${c.user}@${domain}>` }));
    t.equal(r.status, 0, 'sendmail accepted it', { stderr: r.stderr });
    const inbox = await delivered();
    t.equal(inbox.length, 4, 'filed in the mailbox', ctx());
    t.equal(replies().length, 1, 'still one reply', ctx());
  });
}
