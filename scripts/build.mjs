// Bundles src/ into dist/autoreply.mjs: one file to load on every delivery.
// lmdb stays external (native addon, loaded only when a once database is used).
import { build } from 'esbuild';

await build({
  entryPoints: { autoreply: 'src/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['lmdb'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
