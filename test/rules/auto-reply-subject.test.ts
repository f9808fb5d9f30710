// The auto-reply-subject rule on its own: where the tag is found, and where not.
import t from 'tap';
import { judge } from '../../src/rules/index.js';
import { input, PERSONAL } from '../helpers/rule-input.js';

const rules = (subject: string) => judge(input(PERSONAL.replace(/^Subject: .*$/m, `Subject: ${subject}`))).map((h) => `${h.rule}: ${h.reason}`);

t.test('the [Auto-Reply] tag anywhere in the subject, any case, encoded or not', async (t) => {
  t.same(rules('[Auto-Reply]'), ['auto-reply-subject: Subject: [Auto-Reply]']);
  t.same(rules('Re: lunch [auto-reply] (away)'), ['auto-reply-subject: Subject: Re: lunch [auto-reply] (away)']);
  t.same(rules('=?utf-8?q?=5BAuto-Reply=5D_D=C3=A9j=C3=A0?='), [`auto-reply-subject: Subject: [Auto-Reply] D\xc3\xa9j\xc3\xa0`]);
  t.same(rules('Auto-Reply without brackets'), []);
  t.same(rules('[Auto Reply]'), []);
});
