import t from 'tap';
import { join } from 'node:path';
import { SWITCHABLE, type Switchable } from '../../src/rules/index.js';
import { fakeSendmail, PERSONAL, tmp } from '../helpers/cli.js';
import { deliverRun } from '../helpers/deliver.js';

// Each rule, tripped through the real command line, and its --allow-RULE switch.
const reply = ['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'Away.', '--recipient', 'bob@example.com'];
const withHeader = (h: string) => PERSONAL.replace('To: Bob', `${h}\nTo: Bob`);

const TRIPS: Record<Switchable, () => { args: string[]; input: string }> = {
  bounce: () => ({ args: ['--sender', ''], input: PERSONAL }),
  'auto-submitted': () => ({ args: [], input: withHeader('Auto-Submitted: auto-replied (vacation)') }),
  'auto-reply-subject': () => ({ args: [], input: PERSONAL.replace('Subject: Lunch on Friday?', 'Subject: [Auto-Reply]') }),
  list: () => ({ args: [], input: withHeader('List-Unsubscribe: <mailto:leave@lists.example>') }),
  bulk: () => ({ args: [], input: withHeader('Precedence: junk') }),
  daemon: () => ({ args: ['--sender', 'MAILER-DAEMON@remote.example'], input: PERSONAL }),
  self: () => ({ args: ['--sender', 'bob@example.com'], input: PERSONAL.replace('From: Alice Example <alice@remote.example>', 'From: bob@example.com') }),
  'not-personal': () => ({ args: ['--recipient', 'carol@example.com'], input: PERSONAL }),
  loop: () => ({ args: ['--x-loop', 'bob@example.com'], input: withHeader('X-Loop: bob@example.com') }),
  spam: () => ({ args: [], input: withHeader('X-Spam-Flag: YES') }),
  'too-many-recipients': () => ({ args: ['--cc', 'a@x.example, b@x.example, c@x.example, d@x.example, e@x.example'], input: PERSONAL }),
  schedule: () => ({ args: ['--end', '2020-01-31'], input: PERSONAL }),
  'auth-fail': () => ({
    args: ['--authserv-id', 'mx.example.com'],
    input: withHeader('Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=alice@remote.example'),
  }),
  rate: () => ({ args: ['--max-replies-per-hour', '1'], input: PERSONAL }),
};

for (const rule of SWITCHABLE) {
  if (!(rule in TRIPS)) continue;
  t.test(`${rule}: refused by default, answered with --allow-${rule}`, async (t) => {
    const dir = tmp();
    const db = join(dir, 'once.db');
    const { args, input } = TRIPS[rule]();
    const extra = rule === 'rate' ? ['--once', db] : [];
    if (rule === 'rate') {
      // one reply already recorded in the last hour, to someone else
      const first = await deliverRun([...reply, ...extra, '--sendmail', fakeSendmail().path], PERSONAL.replaceAll('alice@remote.example', 'dan@remote.example'));
      t.equal(first.code, 0);
    }
    const sm = fakeSendmail();
    const refused = await deliverRun([...reply, ...args, ...extra, '--sendmail', sm.path, '--verbose'], input);
    t.equal(refused.code, 0);
    t.same(sm.messages(), [], 'nothing sent');
    t.match(refused.stderr, new RegExp(`no reply: ${rule}:`));
    const allowed = await deliverRun([...reply, ...args, ...extra, `--allow-${rule}`, '--sendmail', sm.path], input);
    t.equal(allowed.code, 0, allowed.stderr);
    t.equal(sm.messages().length, 1, 'answered');
  });
}
