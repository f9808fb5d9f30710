import { readFileSync } from 'node:fs';
import { toText, type ByteString } from '../bytes.js';
import { configError } from '../errors.js';
import type { OnceStore } from './store.js';
import { parseOnceTarget } from './url.js';

/** How to reach a once database besides its name. */
export interface OpenOptions {
  /** Mode of files created (LMDB). */
  mode: number;
  /** Connecting and each command, ms (servers). */
  timeoutMs: number;
  /** `--once-password-file` (servers). */
  passwordFile?: string;
  /** The environment the run was given (PGPASSWORD and friends). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The once database that a `once` value names: a path is an LMDB file, a
 * `postgresql://` or `redis://` URL a shared server (url.ts). Each backend is
 * loaded only when used — lmdb's addon, pg, ioredis — so a delivery pays only for
 * its own.
 */
export async function openOnceStore(once: ByteString, opts: OpenOptions): Promise<OnceStore> {
  const target = parseOnceTarget(toText(once), opts.env);
  switch (target.kind) {
    case 'lmdb': {
      const { LmdbOnceStore } = await import('./lmdb/store.js');
      return new LmdbOnceStore(target.path, opts.mode);
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/store.js');
      return openPostgresStore(target, { timeoutMs: opts.timeoutMs, ...passwordOf(opts.passwordFile) });
    }
    case 'redis': {
      const { openRedisStore } = await import('./redis/store.js');
      return openRedisStore(target, { timeoutMs: opts.timeoutMs, ...passwordOf(opts.passwordFile) });
    }
  }
}

/** `--once-password-file`: its first line (a password is never shown, not even in this error). */
function passwordOf(file: string | undefined): { password?: string } {
  if (file === undefined) return {};
  try {
    const line = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    return line === '' ? {} : { password: line };
  } catch (err) {
    throw configError(`--once-password-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
