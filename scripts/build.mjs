// Bundles src/ into dist/: the entry point plus chunks that load only when a run
// needs them (esbuild splitting at each `await import()`). Every delivery pays for
// what the entry's static imports reach, so keep heavy code behind dynamic imports.
// Left in node_modules: lmdb (native addon, loaded only when a once database is
// used) and libmime (charset tables, required only for RFC 2047 encoded words).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true }); // no stale chunks from earlier builds

await build({
  entryPoints: { autoreply: 'src/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['lmdb', 'libmime'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
