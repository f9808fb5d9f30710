// Builds dist/: what bin/autoreply runs on every delivery.
//
//   dist/autoreply.cjs          src/ bundled into one CommonJS file (esbuild); its
//                               last line names its build: `//# build=ID`
//   dist/autoreply.ID.cache     V8's code cache for exactly that bundle, made by one
//                               training delivery
//
// Start-up is paid on every delivery (SPEC 9; `npm run bench` measures it), so:
// - one file, no module resolution; parts a run may not need (yargs for --help and
//   errors, the once commands, `check`, date-fns' parser, the submission) sit
//   behind `await import()`, which esbuild turns into lazily run module bodies;
// - CommonJS because Node 20 can reuse V8's code cache only for scripts (vm.Script
//   cachedData), not for ES modules: the cache saves most of the compiling;
// - lmdb's JavaScript is bundled (run only when `once` is set); its native addon
//   stays in node_modules, and so does libmime (charset tables, required only for
//   RFC 2047 encoded words).
// A cache is only used with the bundle it names and by a node that accepts it;
// otherwise bin/autoreply compiles from source (slower, same behaviour). Files are
// replaced by rename, so a delivery running during a rebuild sees a whole build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const DIST = 'dist';

/**
 * lmdb finds its native addon (and its compression dictionary) from its own file
 * name; bundled, that would be ours. Point it at the package in node_modules,
 * found at run time from the bundle's place.
 */
function lmdbFromNodeModules() {
  const ownUrl =
    "(typeof document === 'undefined' ? new (require('u' + 'rl').URL)('file:' + __filename).href : " +
    "(document.currentScript && document.currentScript.tagName.toUpperCase() === 'SCRIPT' && document.currentScript.src || " +
    "new URL('index.cjs', document.baseURI).href))";
  // resolved at run time from the bundle's own place (__import_meta_url, see banner)
  const lmdbUrl = "require('node:url').pathToFileURL(require('node:module').createRequire(__import_meta_url).resolve('lmdb')).href";
  return {
    name: 'lmdb-from-node-modules',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]lmdb[\\/]dist[\\/]index\.cjs$/ }, async (args) => {
        const { readFile } = await import('node:fs/promises');
        const parts = (await readFile(args.path, 'utf8')).split(ownUrl);
        if (parts.length !== 4) throw new Error(`lmdb/dist/index.cjs: expected 3 references to its own file name, found ${parts.length - 1}`);
        return { contents: parts.join(lmdbUrl), loader: 'js' };
      });
    },
  };
}
const BUNDLE = join(DIST, 'autoreply.cjs');

const result = await build({
  entryPoints: { autoreply: 'src/entry.ts' },
  outdir: DIST,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // lmdb's JavaScript is bundled (and so covered by the code cache); its native
  // addon and msgpackr's optional one stay in node_modules
  external: ['libmime', 'msgpackr-extract', 'node-gyp-build-optional-packages'],
  plugins: [lmdbFromNodeModules()],
  // src/ is ES modules: `createRequire(import.meta.url)` must resolve from dist/
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: "const __import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});

// A dynamic import() left in the bundle would need an ES module loader that a
// script compiled from cached data does not get: load externals with require.
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  const dynamic = out.imports.filter((i) => i.kind === 'dynamic-import' && i.external);
  if (dynamic.length > 0) throw new Error(`${file}: import() of ${dynamic.map((i) => i.path).join(', ')}; use require`);
}

const [output] = result.outputFiles;
const id = createHash('sha256').update(output.contents).digest('hex').slice(0, 16);
mkdirSync(DIST, { recursive: true });
writeFileSync(`${BUNDLE}.tmp`, Buffer.concat([output.contents, Buffer.from(`//# build=${id}\n`)]));
renameSync(`${BUNDLE}.tmp`, BUNDLE);
for (const f of readdirSync(DIST)) {
  if (f !== 'autoreply.cjs' && f !== `autoreply.${id}.cache`) rmSync(join(DIST, f), { recursive: true, force: true });
}

// Training: one delivery that builds a reply, checks and records in a once
// database, writes a log and submits, with the launcher asked to save the code
// cache at exit (it then holds the bytecode of every function that ran).
const work = mkdtempSync(join(tmpdir(), 'autoreply-build-'));
try {
  const message = [
    'From: Alice Example <alice@example.org>',
    'To: Bob <bob@example.com>',
    'Subject: Training =?UTF-8?Q?caf=C3=A9?=',
    'Message-ID: <training.1@example.org>',
    'Date: Mon, 17 Nov 2025 10:00:00 +0000',
    '',
    'Hello.',
    '',
  ].join('\n');
  const args = [
    'bin/autoreply',
    '--sender', 'alice@example.org',
    '--recipient', 'bob@example.com',
    '--to', '$reply_address',
    '--subject', 'Re: $h_subject:',
    '--text', 'Away until ${tod_log}.\n',
    '--once', join(work, 'once'),
    '--once-repeat', '7d',
    '--log', join(work, 'log'),
    '--sendmail', '/bin/true',
  ];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', AUTOREPLY_SAVE_CODE_CACHE: '1' };
  const run = spawnSync(process.execPath, args, { input: message, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`training delivery failed (${run.status}): ${run.stderr}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const kb = (f) => `${(statSync(f).size / 1024).toFixed(0)} KB`;
console.log(`${BUNDLE} ${kb(BUNDLE)}, code cache ${kb(join(DIST, `autoreply.${id}.cache`))}`);
