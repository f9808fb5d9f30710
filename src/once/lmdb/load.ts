import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

export type Lmdb = typeof import('lmdb');
let lmdbModule: Promise<Lmdb> | undefined;
/**
 * lmdb is loaded only when a once database is used (it costs ~25 ms to load). Its
 * CommonJS build: one file to compile instead of some twenty modules, and the
 * bundle (a script, for V8's code cache) has no ES module loader for import().
 */
export function loadLmdb(): Promise<Lmdb> {
  return (lmdbModule ??= Promise.resolve().then(() => (typeof require === 'function' ? requireLmdb() : withLoaderHints(requireLmdb))));
}

/**
 * In the bundle, `require('lmdb')` is lmdb's JavaScript bundled in with ours (so
 * V8's code cache covers it; scripts/build.mjs points it at its native addon in
 * node_modules). Run from source (the tests), there is no `require`: load it
 * from node_modules.
 */
function requireLmdb(): Lmdb {
  return (typeof require === 'function' ? require('lmdb') : createRequire(import.meta.url)('lmdb')) as Lmdb;
}

/**
 * Run from source: two settings that make loading lmdb about 12 ms cheaper, set only while it
 * loads (the submission program must not inherit them): msgpackr need not look
 * for its native accelerator — our values are raw bytes, never msgpack — and the
 * loader of lmdb's native addon need not run detect-libc (which starts by
 * loading child_process and net) when a glance at /lib tells musl from glibc.
 * The bundle needs neither: it loads the addon found at build time and leaves
 * msgpackr unloaded (scripts/build.mjs).
 */
function withLoaderHints<T>(load: () => T): T {
  const hints: Record<string, string> = { MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true', LIBC: libcFamily() };
  const saved = new Map(Object.keys(hints).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(hints)) if (process.env[k] === undefined) process.env[k] = v;
  try {
    return load();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function libcFamily(): string {
  try {
    return readdirSync('/lib').some((f) => f.startsWith('ld-musl-')) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

