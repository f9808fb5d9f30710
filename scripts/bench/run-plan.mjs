// Measure a plan (see measure.mjs) in a process of its own:
//
//   unshare --mount --propagation private -- node scripts/bench/run-plan.mjs PLAN.json OUT.json [--bind FROM:TO]
//
// scripts/bench.mjs runs the peers' table this way: Debian's vacation(1) submits
// through /usr/sbin/sendmail and cannot be told another program, so to let it
// actually reply, this process — in a private mount namespace of its own — first
// bind-mounts the stand-in sendmail over /usr/sbin/sendmail. Nobody else sees it;
// the namespace goes when this process ends. Every row of the table is measured
// here, in turns, as in bench.mjs itself.
//
// Exit 3 when the bind mount cannot be made (bench.mjs then measures without it).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { runPlan } from './measure.mjs';

const [planFile, outFile, ...rest] = process.argv.slice(2);
const bind = rest[rest.indexOf('--bind') + 1];
if (rest.includes('--bind')) {
  const [from, to] = bind.split(':');
  const r = spawnSync('mount', ['--bind', from, to], { encoding: 'utf8' });
  // make sure that what runs as `to` now is the stand-in, not the real thing
  if (r.status !== 0 || readFileSync(to, 'latin1') !== readFileSync(from, 'latin1')) {
    process.stderr.write(`mount --bind ${from} ${to}: ${(r.stderr || 'the file did not change').trim()}\n`);
    process.exit(3);
  }
}
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
writeFileSync(outFile, JSON.stringify(await runPlan(plan)));
