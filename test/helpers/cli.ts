/**
 * Runs the real program (bin/autoreply) as a process, with a fake submission
 * program that records its arguments and the exact bytes it was given.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBytes } from './exec.js';

export const PROJECT = resolve(import.meta.dirname, '../..');
export const BIN = join(PROJECT, 'bin/autoreply');

export interface FakeSendmail {
  path: string;
  dir: string;
  /** Every message submitted so far, in order. */
  messages(): string[];
  argv(): string[][];
}

/** A stand-in for sendmail that keeps each call and exits with `exitCode`. */
export function fakeSendmail(exitCode = 0, dir = mkdtempSync(join(tmpdir(), 'autoreply-sm-'))): FakeSendmail {
  const path = join(dir, 'sendmail');
  writeFileSync(
    path,
    `#!/bin/sh
n=$(ls '${dir}' | grep -c '^msg\\.' )
printf '%s\\n' "$@" > '${dir}/argv.'$n
cat > '${dir}/msg.'$n
exit ${exitCode}
`,
  );
  chmodSync(path, 0o755);
  const list = (prefix: string) => {
    const out: string[] = [];
    for (let i = 0; existsSync(join(dir, `${prefix}.${i}`)); i++) out.push(readFileSync(join(dir, `${prefix}.${i}`), 'latin1'));
    return out;
  };
  return { path, dir, messages: () => list('msg'), argv: () => list('argv').map((a) => a.split('\n').filter(Boolean)) };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `autoreply ARGS < input` in a clean environment (plus `env`). */
export function autoreply(args: string[], input: string | Buffer = '', env: Record<string, string> = {}): Run {
  // env -i, as an MTA's pipe does: nothing of the test runner's environment
  // (tap injects NODE_OPTIONS into child processes) reaches the program.
  const r = runBytes(process.execPath, [BIN, ...args], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
    input: typeof input === 'string' ? Buffer.from(input, 'latin1') : input,
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8') };
}

export const tmp = (prefix = 'autoreply-t-') => mkdtempSync(join(tmpdir(), prefix));

/** A plain personal message from alice to bob, as a pipe transport hands it over. */
export const PERSONAL = [
  'From alice@remote.example Sat Nov 21 04:36:29 2026',
  'From: Alice Example <alice@remote.example>',
  'To: Bob <bob@example.com>',
  'Subject: Lunch on Friday?',
  'Date: Thu, 19 Nov 2026 10:00:00 +0000',
  'Message-ID: <lunch.1@remote.example>',
  '',
  'Hi Bob, lunch?',
  '',
  '',
].join('\n');
