/** Helpers for the once database tests: temp dirs, real processes, file snapshots. */
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runText, type RunOptions } from '../helpers/exec.js';

export const PROJECT = resolve(import.meta.dirname, '../..');
export const AUTOREPLY = join(PROJECT, 'bin/autoreply');

export function tempDir(t: { teardown(fn: () => void): void }, name = 'once'): string {
  const d = mkdtempSync(join(tmpdir(), `autoreply-${name}-`));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run bin/autoreply with `args` (synchronously). */
export function cli(args: string[], opts: RunOptions = {}): Ran {
  const r = runText(process.execPath, [AUTOREPLY, ...args], opts);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function builtReason(): string | undefined {
  const r = cli(['--version']);
  return r.status === 0 ? undefined : `bin/autoreply does not run (npm run build?): ${r.stderr.trim()}`;
}

/** A submission program that records each call (one line with its pid) in `out`. */
export function recordingSendmail(dir: string, out: string): string {
  const p = join(dir, 'sendmail');
  writeFileSync(p, `#!/bin/sh\ncat > /dev/null\necho "$$" >> '${out}'\nexit 0\n`);
  chmodSync(p, 0o755);
  return p;
}

export function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

export function snapshot(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

export const MESSAGE = (from: string) =>
  `From: ${from}\nTo: bob@example.com\nSubject: hello\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.org>\n\nhi\n`;

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
