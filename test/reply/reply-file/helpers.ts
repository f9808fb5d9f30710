/**
 * Helpers for the reply file and mailbox tests: run deliveries (in process,
 * through bin/autoreply's own parsing; see helpers/deliver.ts) with a fake
 * sendmail that keeps every message it is given, and read the once database the
 * way a user would (`autoreply once list --json`).
 */
import { deliverRun, type InProcessOptions } from '../../helpers/deliver.js';
import { onceRun } from '../../helpers/once.js';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBytes } from '../../helpers/exec.js';

export const PROJECT = resolve(import.meta.dirname, '../../..');
export const BIN = join(PROJECT, 'bin/autoreply');

export function tempDir(t: { teardown(fn: () => void): void }, name = 'rf'): string {
  const d = mkdtempSync(join(tmpdir(), `autoreply-${name}-`));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface Sendmail {
  path: string;
  /** Every message submitted so far, in order (latin1 text = the bytes). */
  messages(): string[];
}

/** A stand-in for sendmail that keeps each message and exits with `exitCode`. */
export function fakeSendmail(dir: string, exitCode = 0): Sendmail {
  const box = join(dir, `sent-${Math.random().toString(36).slice(2)}`);
  const path = `${box}.sh`;
  writeFileSync(path, `#!/bin/sh\nmkdir -p '${box}'\nn=$(ls '${box}' | wc -l)\ncat > '${box}/'$n\nexit ${exitCode}\n`);
  chmodSync(path, 0o755);
  return {
    path,
    messages: () => {
      const out: string[] = [];
      for (let i = 0; existsSync(join(box, String(i))); i++) out.push(readFileSync(join(box, String(i)), 'latin1'));
      return out;
    },
  };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A delivery (in process), or, with `cwd`, the real program started in that folder. */
export async function autoreply(args: string[], input: string | Buffer = '', cwd?: string, opts: InProcessOptions = {}): Promise<Run> {
  // `check` and `once` are commands of their own: run the program for those
  if (cwd === undefined && args[0] !== 'check' && args[0] !== 'once') return deliverRun(args, input, {}, opts);
  // A clean environment, so that the test runner does not instrument the child.
  const r = runBytes(process.execPath, [BIN, ...args], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    input: typeof input === 'string' ? Buffer.from(input, 'latin1') : input,
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(cwd ? { cwd } : {}),
  });
  return { code: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8') };
}

export interface OnceEntry {
  key: string;
  lastReply: string;
  count: number;
  note?: string;
}

/** The once database as `autoreply once list --json` shows it. */
export async function onceList(db: string): Promise<OnceEntry[]> {
  const r = await onceRun(['list', '--json', '--once', db]);
  if (r.status !== 0) throw new Error(`once list: ${r.stderr}`);
  return JSON.parse(r.stdout) as OnceEntry[];
}

/** An incoming message as a pipe transport hands it over (mbox From_ line first). */
export function incoming(fields: Record<string, string>, body = 'Hello Bob,\nlunch on Friday?\n', sender = 'alice@remote.example'): string {
  const head = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
  return `From ${sender} Sat Nov 21 04:36:29 2026\n${head}\n${body}\n`;
}

export const ALICE = {
  From: 'Alice Example <alice@remote.example>',
  To: 'Bob <bob@example.com>',
  Subject: 'Lunch on Friday?',
  'Message-ID': '<lunch.1@remote.example>',
};

/** Header block and body of a reply. */
export function splitReply(reply: string): { head: string; body: string } {
  const i = reply.indexOf('\n\n');
  return { head: reply.slice(0, i + 1), body: reply.slice(i + 2) };
}
