import t from 'tap';
import { caseNames, exitMatches, runCase } from './runner.js';

// Every case was recorded from the real Exim 4.96 (scripts/regen-conformance.sh).
for (const name of caseNames()) {
  t.test(name, async (t) => {
    const result = await runCase(name);
    for (const d of result.deliveries) {
      t.ok(exitMatches(d.expectedVerdict, d.exitCode), `delivery ${d.n}: exit ${d.exitCode} fits Exim's "${d.expectedVerdict}"`, {
        stderr: d.stderr,
      });
      t.notMatch(d.stderr, /^Node\.js v\d+/m, `delivery ${d.n}: no uncaught exception`);
      if (d.expectedSubmitted) {
        t.ok(d.submitted, `delivery ${d.n}: a reply was submitted`);
        t.equal(d.submitted?.toString('latin1'), d.expectedSubmitted.toString('latin1'), `delivery ${d.n}: reply bytes`);
        for (const arg of ['-t', '-oi', '-f', '<>']) t.ok(d.argv?.includes(arg), `delivery ${d.n}: argv has ${arg}`);
      } else {
        t.notOk(d.submitted, `delivery ${d.n}: nothing submitted`);
      }
    }
    t.equal(result.log, result.expectedLog, 'reply.log');
  });
}
