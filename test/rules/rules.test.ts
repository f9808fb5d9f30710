import t from 'tap';
import { judge, RULES, type RuleName } from '../../src/rules/index.js';
import { rateHit } from '../../src/rules/rate.js';
import type { RuleInput } from '../../src/rules/rule.js';
import { input, PERSONAL } from '../helpers/rule-input.js';
import { bytes } from '../../src/bytes.js';

const none = new Set<RuleName>();

// One message per rule that trips that rule and no other: it must name the
// decision, and its --allow-RULE switch must let the message through.
const TRIPS: Record<RuleName, () => RuleInput> = {
  bounce: () => input(PERSONAL, { sender: bytes('') }),
  'auto-submitted': () => input(`${PERSONAL}\nAuto-Submitted: auto-replied (vacation)`),
  'auto-reply-subject': () => input(PERSONAL.replace(/^Subject: .*$/m, 'Subject: Re: lunch [Auto-Reply]')),
  list: () => input(`${PERSONAL}\nList-Id: Developers <dev.lists.example.org>`),
  bulk: () => input(`${PERSONAL}\nPrecedence: bulk`),
  daemon: () => input(PERSONAL, { sender: bytes('MAILER-DAEMON@mx.example.net') }),
  self: () => input(PERSONAL, { sender: bytes('Alice@Example.com') }),
  'not-personal': () => input(PERSONAL.replace('To: Alice Smith <alice@example.com>', 'To: team@example.com')),
  loop: () => input(`${PERSONAL}\nX-Loop: alice@example.com`, {}, { xLoop: bytes('alice@example.com') }),
  spam: () => input(`${PERSONAL}\nX-Spam-Flag: YES`),
  'too-many-recipients': () =>
    input(PERSONAL, { replyRecipients: [bytes('a@x.org'), bytes('b@x.org'), bytes('c@x.org'), bytes('d@x.org'), bytes('e@x.org'), bytes('f@x.org')] }),
  schedule: () => input(PERSONAL, {}, { end: new Date(Date.UTC(2025, 6, 1)) }),
  'auth-fail': () =>
    input(`${PERSONAL}\nAuthentication-Results: mx.example.com; spf=fail smtp.mailfrom=bob@example.net`, {}, {
      authservId: bytes('mx.example.com'),
    }),
};

const RULE_NAMES = RULES.map((r) => r.name);
const first = (i: RuleInput, allowed: ReadonlySet<RuleName> = none) => judge(i, allowed)[0];

t.test('RULES follow SPEC order', async (t) => {
  t.same(RULE_NAMES, [
    'bounce', 'auto-submitted', 'auto-reply-subject', 'list', 'bulk', 'daemon', 'self', 'not-personal', 'loop', 'spam',
    'too-many-recipients', 'schedule', 'auth-fail',
  ]);
});

t.test('plain personal mail is answered', async (t) => {
  t.equal(first(input(PERSONAL), none), undefined);
  t.same(judge(input(PERSONAL)), []);
});

for (const name of RULE_NAMES) {
  t.test(`${name}: fires, and --allow-${name} turns it off`, async (t) => {
    const hit = first(TRIPS[name](), none);
    t.equal(hit?.rule, name);
    t.type(hit?.reason, 'string');
    t.same(judge(TRIPS[name]()).map((h) => h.rule), [name], 'only this rule holds');
    t.equal(first(TRIPS[name](), new Set([name])), undefined, `allowed: answered`);
  });
}

t.test('first rule in SPEC order names the decision; judge lists all', async (t) => {
  const i = input(`${PERSONAL}\nPrecedence: list\nList-Id: <dev.lists.example.org>\nX-Spam-Flag: YES`, {
    sender: bytes('owner-dev@lists.example.org'),
  });
  t.same(first(i, none), { rule: 'list', reason: 'List-Id: <dev.lists.example.org>' });
  t.same(
    judge(i).map((h) => h.rule),
    ['list', 'bulk', 'daemon', 'spam'],
  );
  t.equal(first(i, new Set(['list', 'bulk']))?.rule, 'daemon');
  t.same(
    judge(i, new Set(['bulk'])).map((h) => h.rule),
    ['list', 'daemon', 'spam'],
  );
});

t.test('bounce', async (t) => {
  const r = (over: Partial<RuleInput>, extra = '') => judge(input(PERSONAL + extra, over)).find((h) => h.rule === 'bounce');
  t.equal(r({ sender: bytes('') })?.reason, 'empty envelope sender');
  t.equal(r({ sender: bytes('<>') })?.reason, 'empty envelope sender');
  t.equal(
    r({}, '\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary="9B095B5ADSN=_01D9"')?.reason,
    'Content-Type: multipart/report; report-type=delivery-status',
  );
  t.equal(
    r({}, '\nContent-Type: Multipart/Report; boundary=x; Report-Type="disposition-notification"')?.reason,
    'Content-Type: multipart/report; report-type=disposition-notification',
  );
  t.equal(r({}, '\nContent-Type: multipart/mixed; boundary=x'), undefined);
  t.equal(r({}, '\nContent-Type: text/plain; name="multipart/report"'), undefined);
});

t.test('auto-submitted', async (t) => {
  const r = (extra: string) => judge(input(`${PERSONAL}\n${extra}`)).find((h) => h.rule === 'auto-submitted')?.reason;
  t.equal(r('Auto-Submitted: auto-replied (vacation)'), 'Auto-Submitted: auto-replied');
  t.equal(r('Auto-Submitted: auto-generated; owner-email="x@y.org"'), 'Auto-Submitted: auto-generated');
  t.equal(r('Auto-Submitted: Auto-Notified'), 'Auto-Submitted: Auto-Notified');
  t.equal(r('Auto-Submitted: no'), undefined);
  t.equal(r('Auto-Submitted: No (a person wrote this)'), undefined);
  t.equal(r('X-Auto-Response-Suppress: All'), 'X-Auto-Response-Suppress: All');
  t.equal(r('X-Auto-Response-Suppress: DR, OOF, AutoReply'), 'X-Auto-Response-Suppress: OOF, AutoReply');
  t.equal(r('X-Auto-Response-Suppress: DR, RN, NRN'), undefined, 'receipts only: a person may still be answered');
  t.equal(r('X-Auto-Response-Suppress: None'), undefined);
  t.equal(r('X-Autoreply: yes'), 'X-Autoreply: yes');
  t.equal(r('X-Autorespond: vacation'), 'X-Autorespond: vacation');
});

t.test('list', async (t) => {
  const r = (extra: string) => judge(input(`${PERSONAL}\n${extra}`)).find((h) => h.rule === 'list')?.reason;
  t.equal(r('List-Unsubscribe: <mailto:leave@example.org>\nList-Id: <dev.lists.example.org>'), 'List-Id: <dev.lists.example.org>');
  t.equal(r('List-Post: <mailto:dev@lists.example.org>'), 'List-Post: <mailto:dev@lists.example.org>');
  t.equal(r('X-Mailing-List: linux-kernel@vger.kernel.org'), 'X-Mailing-List: linux-kernel@vger.kernel.org');
  t.equal(r('Mailing-List: contact help@example.org; run by ezmlm'), 'Mailing-List: contact help@example.org; run by ezmlm');
  t.equal(r('X-List-Note: not a list header'), undefined);
  t.equal(r('Listing: nope'), undefined);
});

t.test('bulk', async (t) => {
  const r = (extra: string) => judge(input(`${PERSONAL}\n${extra}`)).find((h) => h.rule === 'bulk')?.reason;
  t.equal(r('Precedence: bulk'), 'Precedence: bulk');
  t.equal(r('Precedence: List'), 'Precedence: List');
  t.equal(r('Precedence: junk'), 'Precedence: junk');
  t.equal(r('Precedence: first-class'), undefined);
  t.equal(r('Precedence: bulkhead'), undefined);
});

t.test('daemon: whole local part of envelope sender and From', async (t) => {
  const bySender = (sender: string) => judge(input(PERSONAL, { sender: bytes(sender) })).find((h) => h.rule === 'daemon')?.reason;
  t.equal(bySender('MAILER-DAEMON@mx.example.net'), 'sender MAILER-DAEMON@mx.example.net matches mailer-daemon@');
  t.equal(bySender('MAILER-DAEMON'), 'sender MAILER-DAEMON matches mailer-daemon@');
  for (const [addr, pattern] of [
    ['postmaster@example.net', 'postmaster@'],
    ['listserv@lists.example.edu', 'listserv@'],
    ['majordomo@example.org', 'majordomo@'],
    ['mailer@example.org', 'mailer@'],
    ['server@example.org', 'server@'],
    ['daemon@example.org', 'daemon@'],
    ['root@host.example.org', 'root@'],
    ['noreply@github.com', 'noreply@'],
    ['No-Reply@accounts.example.com', 'no-reply@'],
    ['donotreply@bank.example', 'donotreply@'],
    ['do-not-reply@shop.example', 'do-not-reply@'],
    ['dev-request@lists.example.org', '*-request@'],
    ['mail-relay@example.org', '*-relay@'],
    ['news-outgoing@example.org', '*-outgoing@'],
    ['bounce-1234-alice=example.com@mail.example.org', 'bounce-*@'],
    ['owner-dev@lists.example.org', 'owner-*@'],
    ['dev-bounces+alice=example.com@lists.example.org', '*-bounces@'],
    ['dev-owner@lists.example.org', '*-owner@'],
    ['noreply+tracking@example.com', 'noreply@'],
    ['"mailer-daemon"@example.net', 'mailer-daemon@'],
  ]) {
    t.equal(bySender(addr!), `sender ${addr} matches ${pattern}`, addr);
  }
  for (const addr of [
    'flowerowner@example.org',
    'grower-owner2@example.org',
    'rooter@example.org',
    'chroot@example.org',
    'noreplyjoe@example.org',
    'bob.server@example.org',
    '-request@example.org',
    'owner-@example.org',
    'bounce@example.org',
  ]) {
    t.equal(bySender(addr), undefined, `${addr} is a person`);
  }
  const byFrom = judge(input(PERSONAL.replace('From: Bob Jones <bob@example.net>', 'From: GitHub <noreply@github.com>')));
  t.equal(byFrom.find((h) => h.rule === 'daemon')?.reason, 'From noreply@github.com matches noreply@');
});

t.test('self: sender or From is the recipient or an alias', async (t) => {
  const hit = (i: RuleInput) => judge(i).find((h) => h.rule === 'self')?.reason;
  t.equal(hit(input(PERSONAL, { sender: bytes('ALICE@example.com') })), 'sender ALICE@example.com is the recipient');
  t.equal(
    hit(input(PERSONAL.replace('bob@example.net>', 'alice.smith@example.com>'), { aliases: [bytes('alice.smith@example.com')] })),
    'From alice.smith@example.com is an alias of the recipient',
  );
  t.equal(hit(input(PERSONAL, { recipient: undefined })), undefined);
});

t.test('not-personal: To, Cc, Bcc and their Resent- forms; aliases; unknown recipient', async (t) => {
  const base = PERSONAL.replace('To: Alice Smith <alice@example.com>', 'To: team@example.com');
  const hit = (i: RuleInput) => judge(i).find((h) => h.rule === 'not-personal')?.reason;
  t.equal(hit(input(base)), 'alice@example.com not in To/Cc/Bcc');
  t.equal(hit(input(`${base}\nCc: "Smith, Alice" <Alice@EXAMPLE.com>`)), undefined);
  t.equal(hit(input(`${base}\nResent-To: alice@example.com`)), undefined);
  t.equal(hit(input(`${base}\nResent-Cc: x@y.org, alice@example.com`)), undefined);
  t.equal(hit(input(base, { aliases: [bytes('team@example.com')] })), undefined);
  t.equal(hit(input(base, { aliases: [bytes('a.smith@example.com')] })), 'neither alice@example.com nor an alias is in To/Cc/Bcc');
  t.equal(hit(input(base, { recipient: undefined })), undefined, 'unknown recipient: not judged');
  t.equal(hit(input(base.replace('team@', 'alice+lunch@'))), undefined, 'sub-address counts');
  // RFC 3834 section 2, RFC 5230 section 4.5: a Bcc naming us was meant for us
  t.equal(hit(input(`${base}\nBcc: alice@example.com`)), undefined, 'a Bcc naming the recipient counts');
  t.equal(hit(input(`${base}\nResent-Bcc: <alice@example.com>`)), undefined, 'a Resent-Bcc too');
  t.equal(hit(input(`${base}\nBcc: alice.other@example.com`)), 'alice@example.com not in To/Cc/Bcc', 'a Bcc naming someone else does not');
});

t.test('loop', async (t) => {
  const hit = (extra: string, xLoop?: string) =>
    judge(input(`${PERSONAL}\n${extra}`, {}, xLoop ? { xLoop: bytes(xLoop) } : {})).find((h) => h.rule === 'loop')?.reason;
  t.equal(hit('X-Loop: Alice@Example.com  ', 'alice@example.com'), 'X-Loop: Alice@Example.com');
  t.equal(hit('X-Loop: other@example.org\nX-Loop: <alice@example.com>', 'alice@example.com'), 'X-Loop: <alice@example.com>');
  t.equal(hit('X-Loop: other@example.org', 'alice@example.com'), undefined);
  t.equal(hit('X-Loop: alice@example.com'), undefined, 'no --x-loop: rule off');
});

t.test('spam', async (t) => {
  const hit = (extra: string) => judge(input(`${PERSONAL}\n${extra}`)).find((h) => h.rule === 'spam')?.reason;
  t.equal(hit('X-Spam-Flag: YES'), 'X-Spam-Flag: YES');
  t.equal(hit('X-Spam-Flag: NO'), undefined);
  t.equal(hit('X-Spam-Status: No, score=-1.9 required=5.0'), undefined);
  t.equal(hit('X-Spam-Status: Yes, score=12.4 required=5.0 tests=BAYES_99'), 'X-Spam-Status: Yes, score=12.4 required=5.0 tests=BAYES_99');
  t.equal(hit('X-Spam: Yes'), 'X-Spam: Yes');
});

t.test('too-many-recipients', async (t) => {
  const hit = (replyRecipients: string[], maxRecipients = 5) =>
    judge(input(PERSONAL, { replyRecipients: replyRecipients.map(bytes) }, { maxRecipients })).find((h) => h.rule === 'too-many-recipients')?.reason;
  const five = ['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org', 'e@x.org'];
  t.equal(hit(five), undefined, 'five is allowed');
  t.equal(hit([...five, 'f@x.org']), '6 reply recipients, more than --max-recipients 5');
  t.equal(hit([...five, 'A@X.ORG', 'b@x.org']), undefined, 'duplicates count once');
  t.equal(hit(['a@x.org', 'b@x.org'], 1), '2 reply recipients, more than --max-recipients 1');
});

t.test('schedule: judges now, inclusive bounds', async (t) => {
  const hit = (now: number, start?: Date, end?: Date) =>
    judge(input(PERSONAL, { now }, { ...(start ? { start } : {}), ...(end ? { end } : {}) })).find(
      (h) => h.rule === 'schedule',
    )?.reason;
  const start = new Date(Date.UTC(2025, 6, 1));
  const end = new Date(Date.UTC(2025, 6, 14, 23, 59, 59, 999));
  t.equal(hit(start.getTime(), start, end), undefined, 'start instant is inside');
  t.equal(hit(end.getTime(), start, end), undefined, 'end instant is inside');
  t.match(hit(start.getTime() - 1, start, end), /^now is before --start /);
  t.match(hit(end.getTime() + 1, start, end), /^now is after --end /);
  t.equal(hit(Date.UTC(2030, 0, 1), start), undefined, 'open end');
  t.equal(hit(Date.UTC(2020, 0, 1), undefined, end), undefined, 'open start');
});

t.test('auth-fail: only our authserv-id, spf=fail or dmarc=fail', async (t) => {
  const hit = (ar: string, authservId = 'mx.example.com') =>
    judge(input(`${PERSONAL}\n${ar}`, {}, authservId ? { authservId: bytes(authservId) } : {})).find((h) => h.rule === 'auth-fail')
      ?.reason;
  t.equal(
    hit('Authentication-Results: mx.example.com;\n\tspf=fail (sender IP is 192.0.2.7) smtp.mailfrom=bob@example.net'),
    'Authentication-Results from mx.example.com: spf=fail smtp.mailfrom=bob@example.net',
  );
  t.equal(
    hit('Authentication-Results: MX.Example.COM 1; dkim=none; spf=pass smtp.mailfrom=example.net; dmarc=fail (p=reject) header.from=example.net'),
    'Authentication-Results from MX.Example.COM: dmarc=fail header.from=example.net',
  );
  t.equal(hit('Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=bob@example.net'), undefined);
  t.equal(hit('Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=bob@example.net; dmarc=pass'), undefined);
  t.equal(hit('Authentication-Results: mx.google.com; spf=fail smtp.mailfrom=bob@example.net'), undefined, 'not ours');
  t.equal(hit('Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=x', ''), undefined, 'no --authserv-id');
  t.equal(hit('Authentication-Results: mx.example.com; dkim=fail header.d=example.net'), undefined, 'DKIM alone is not enough');
});

t.test('rate is no message rule: the once database judges it (test/once/*/store.test.ts); here only its wording', async (t) => {
  t.same(rateHit(100, 100), { rule: 'rate', reason: '100 replies in the last hour, --max-replies-per-hour is 100' });
  t.notOk(RULE_NAMES.includes('rate' as RuleName));
});

t.test('a rule that throws refuses instead of crashing', async (t) => {
  const i = input(PERSONAL);
  Object.defineProperty(i, 'replyRecipients', {
    get() {
      throw new Error('boom');
    },
  });
  t.same(first(i, none), { rule: 'too-many-recipients', reason: 'could not be judged (boom)' });
});
