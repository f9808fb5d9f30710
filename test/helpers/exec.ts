/**
 * Programs the tests start and wait for, through execa: the exact bytes they
 * wrote (no final newline stripped), their exit code or signal, and never a
 * throw — a test asserts on the result instead.
 */
import { execa, execaSync, type Options } from 'execa';
import { join, resolve } from 'node:path';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/autoreply');

/**
 * `node bin/autoreply ARGS`, started as execa starts it (a running subprocess: its
 * pid, signals), but through env(1) without NODE_OPTIONS: tap's process-info
 * hook puts its loader there for every child, even in a clean environment, and
 * each run would pay for that second loader.
 */
export function startAutoreply<O extends Options>(args: readonly string[], opts: O) {
  return execa('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, ...args], opts);
}

export interface RunOptions {
  input?: string | Uint8Array;
  /** Exactly these variables (as an MTA's pipe gives), unless extendEnv. */
  env?: Record<string, string | undefined>;
  /** `env` on top of this process's environment instead (a variable set to undefined is removed). */
  extendEnv?: boolean;
  cwd?: string;
  timeout?: number;
  uid?: number;
  gid?: number;
  maxBuffer?: number;
  /** Standard input from a file instead of `input`. */
  stdinFile?: string;
  /** Throw the standard output away (a 100 MB delivery's dry run, say). */
  ignoreStdout?: boolean;
}

export interface RanBytes {
  /** The exit code; null when a signal (or the timeout) ended it. */
  status: number | null;
  signal: string | undefined;
  stdout: Buffer;
  stderr: Buffer;
  /** Why it did not run at all (ENOENT, EACCES), if so. */
  failure: string | undefined;
}

export interface RanText {
  status: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  failure: string | undefined;
}

export function runBytes(file: string, args: readonly string[], o: RunOptions = {}): RanBytes {
  // Through env(1): tap puts its loader into NODE_OPTIONS of every child process
  // it sees; env -i (a clean environment) or env -u NAME takes it out again, so
  // the program runs as an MTA would start it, uninstrumented.
  const vars = Object.entries(o.env ?? {});
  const clean = !(o.extendEnv ?? o.env === undefined);
  const envArgs = [
    ...(clean ? ['-i'] : vars.filter(([, v]) => v === undefined).flatMap(([k]) => ['-u', k])),
    ...(clean || 'NODE_OPTIONS' in (o.env ?? {}) ? [] : ['-u', 'NODE_OPTIONS']),
    ...vars.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
  ];
  const r = execaSync('/usr/bin/env', [...envArgs, file, ...args], {
    reject: false,
    stripFinalNewline: false,
    encoding: 'buffer',
    ...(o.input !== undefined ? { input: o.input } : o.stdinFile !== undefined ? { stdin: { file: o.stdinFile } } : { stdin: 'ignore' as const }),
    ...(o.ignoreStdout ? { stdout: 'ignore' as const } : {}),
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    ...(o.uid !== undefined ? { uid: o.uid } : {}),
    ...(o.gid !== undefined ? { gid: o.gid } : {}),
    maxBuffer: o.maxBuffer ?? 256 * 1024 * 1024,
  });
  const bytes = (u: unknown) => (u instanceof Uint8Array ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : Buffer.alloc(0));
  return {
    status: r.exitCode ?? null,
    signal: r.signal,
    stdout: bytes(r.stdout),
    stderr: bytes(r.stderr),
    failure: r.failed && r.exitCode === undefined && r.signal === undefined && !r.timedOut ? r.shortMessage : undefined,
  };
}

export function runText(file: string, args: readonly string[], o: RunOptions = {}): RanText {
  const r = runBytes(file, args, o);
  return { ...r, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}
