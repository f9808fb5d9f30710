import { lazyRequire } from './lazy.js';

/** Set by the build (scripts/build.mjs) to package.json's version; absent when run from source. */
declare const AUTOREPLY_VERSION: string | undefined;

/**
 * The program's version, for --version: given to yargs explicitly because an
 * installed bundle has no package.json beside it for yargs to find.
 */
export function version(): string {
  if (typeof AUTOREPLY_VERSION === 'string') return AUTOREPLY_VERSION;
  return lazyRequire<{ version: string }>('../package.json').version;
}
