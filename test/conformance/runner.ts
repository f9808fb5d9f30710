/**
 * Runs the Exim conformance cases in test/conformance/cases against autoreply
 * --exim-strict, with the contract of the shared corpus (its README): a fresh
 * state folder per case, @CASE@/@STATE@ substituted, a stand-in submission
 * program that saves argv and stdin, the pipe's environment, exit codes mapped
 * from Exim's verdict, and reply.log compared with timestamp lines normalised.
 * Deliveries run in this process (the command line parsed as bin/autoreply
 * parses it), and the pause between a case's deliveries moves their clock
 * instead of sleeping; the shared runner (../shared/conformance/run.sh) runs
 * the same cases through bin/autoreply processes.
 */
import { deliverRun } from '../helpers/deliver.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PROJECT = resolve(import.meta.dirname, '../..');
export const CASES = join(PROJECT, 'test/conformance/cases');

export interface DeliveryResult {
  n: number;
  exitCode: number | null;
  stderr: string;
  expectedVerdict: string;
  submitted?: Buffer;
  expectedSubmitted?: Buffer;
  argv?: string[];
}

export interface CaseResult {
  deliveries: DeliveryResult[];
  log?: string;
  expectedLog?: string;
}

export function caseNames(dir = CASES): string[] {
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'transport')))
    .sort();
}

const TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/gm;
export const normaliseLog = (s: string) => s.replace(TS, '<TIMESTAMP>');

export async function runCase(name: string, dir = CASES): Promise<CaseResult> {
  const c = join(dir, name);
  const work = mkdtempSync(join(tmpdir(), 'autoreply-conf-'));
  try {
    const state = join(work, 'state');
    const capture = join(work, 'capture');
    mkdirSync(state);
    mkdirSync(capture);
    const conf = join(work, 'autoreply.conf');
    const transport = readFileSync(join(c, 'transport'), 'latin1');
    writeFileSync(conf, transport.replaceAll('@CASE@', c).replaceAll('@STATE@', state), 'latin1');
    const rc = existsSync(join(c, 'submit_rc')) ? readFileSync(join(c, 'submit_rc'), 'utf8').replace(/\D/g, '') || '0' : '0';
    const standin = join(work, 'sendmail');
    writeFileSync(standin, `#!/bin/sh\nprintf '%s\\n' "$@" > '${capture}/argv'\ncat > '${capture}/msg'\nexit ${rc}\n`);
    chmodSync(standin, 0o755);
    const pause = existsSync(join(c, 'sleep')) ? Number(readFileSync(join(c, 'sleep'), 'utf8').trim()) : 0;

    const deliveries: DeliveryResult[] = [];
    const start = Date.now();
    for (let n = 1; existsSync(join(c, `expected/${n}.pipe-input.eml`)); n++) {
      const now = new Date(start + (n - 1) * (pause * 1000 + 50));
      rmSync(join(capture, 'msg'), { force: true });
      rmSync(join(capture, 'argv'), { force: true });
      const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin' };
      const envFile = join(c, `expected/${n}.pipe-env`);
      if (existsSync(envFile)) {
        for (const line of readFileSync(envFile, 'utf8').split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0 && !line.startsWith('PATH=')) env[line.slice(0, eq)] = line.slice(eq + 1);
        }
      }
      const run = await deliverRun(
        ['--exim-strict', '--config', conf, '--sendmail', standin, '--primary-hostname', 'mail.example.com'],
        readFileSync(join(c, `expected/${n}.pipe-input.eml`)),
        env,
        { now },
      );
      const d: DeliveryResult = {
        n,
        exitCode: run.code,
        stderr: run.stderr,
        expectedVerdict: readFileSync(join(c, `expected/${n}.result`), 'utf8').split('\n')[0]!,
      };
      if (existsSync(join(capture, 'msg'))) d.submitted = readFileSync(join(capture, 'msg'));
      if (existsSync(join(capture, 'argv'))) d.argv = readFileSync(join(capture, 'argv'), 'utf8').split('\n').filter(Boolean);
      if (existsSync(join(c, `expected/${n}.submitted`))) d.expectedSubmitted = readFileSync(join(c, `expected/${n}.submitted`));
      deliveries.push(d);
    }
    const result: CaseResult = { deliveries };
    if (existsSync(join(state, 'reply.log'))) result.log = normaliseLog(readFileSync(join(state, 'reply.log'), 'latin1'));
    if (existsSync(join(c, 'expected/reply.log'))) result.expectedLog = normaliseLog(readFileSync(join(c, 'expected/reply.log'), 'latin1'));
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Exim's verdict as an exit code requirement. */
export function exitMatches(verdict: string, code: number | null): boolean {
  if (code === null || code >= 124) return false;
  if (verdict === 'ok') return code === 0;
  if (verdict.startsWith('defer')) return code === 75;
  if (verdict.startsWith('fail')) return code !== 0 && code !== 75;
  return false;
}
