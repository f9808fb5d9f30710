/**
 * Runs the Exim conformance cases in test/conformance/cases against bin/autoreply
 * --exim-strict, with the contract of the shared corpus (its README): a fresh
 * state folder per case, @CASE@/@STATE@ substituted, a stand-in submission
 * program that saves argv and stdin, the pipe's environment, exit codes mapped
 * from Exim's verdict, and reply.log compared with timestamp lines normalised.
 */
import { spawnSync } from 'node:child_process';
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

export function runCase(name: string, dir = CASES): CaseResult {
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
    for (let n = 1; existsSync(join(c, `expected/${n}.pipe-input.eml`)); n++) {
      if (n > 1 && pause > 0) spawnSync('sleep', [String(pause)]);
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
      // env -i, as the shared runner and Exim's pipe do (and tap's NODE_OPTIONS stay out)
      const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      const run = spawnSync(
        '/usr/bin/env',
        ['-i', ...vars, process.execPath, join(PROJECT, 'bin/autoreply'), '--exim-strict', '--config', conf, '--sendmail', standin, '--primary-hostname', 'mail.example.com'],
        { input: readFileSync(join(c, `expected/${n}.pipe-input.eml`)), timeout: 20000 },
      );
      const d: DeliveryResult = {
        n,
        exitCode: run.status,
        stderr: run.stderr.toString(),
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
