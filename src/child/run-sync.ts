import type * as ChildProcess from 'node:child_process';
import { getSystemErrorName } from 'node:util';
import { lazyRequire } from '../lazy.js';
import { envPairs, FIXED, spawnSyncBinding } from './bindings.js';

/** How a program run to its end went. */
export interface SyncRun {
  status: number | null;
  signal: string | null;
  /** What it wrote to stderr (the first 64 KiB). */
  stderr: string;
  /** Set when it could not be run at all (ENOENT, EACCES...). */
  error?: NodeJS.ErrnoException;
}

const STDERR_LIMIT = 64 * 1024;

/**
 * Run `file args` to its end with the open descriptor `stdin` as its standard
 * input, stdout discarded, stderr kept. Never through a shell. For the short
 * helpers that need no timeout of ours (flock(1) has its own).
 */
export function runSync(file: string, args: readonly string[], stdin: number): SyncRun {
  const binding = spawnSyncBinding();
  if (binding) {
    const r = binding.spawn({
      file,
      args: [file, ...args],
      envPairs: envPairs(),
      stdio: [{ type: 'fd', fd: stdin }, { type: 'ignore' }, { type: 'pipe', readable: false, writable: true }],
      // beyond this the child would be killed: a helper never writes that much
      maxBuffer: 16 * 1024 * 1024,
      ...FIXED,
    });
    if (typeof r.error === 'number') return { status: null, signal: null, stderr: '', error: errnoError(r.error) };
    return { status: r.status, signal: r.signal, stderr: (r.output?.[2]?.toString('utf8') ?? '').slice(0, STDERR_LIMIT) };
  }
  const { spawnSync } = lazyRequire<typeof ChildProcess>('node:child_process');
  const r = spawnSync(file, args, { stdio: [stdin, 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return { status: r.status, signal: r.signal, stderr: (r.stderr ?? '').slice(0, STDERR_LIMIT), ...(r.error ? { error: r.error as NodeJS.ErrnoException } : {}) };
}

/** A negative errno from a binding, as node's public API would report it. */
export function errnoError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(code), { code, errno });
}
