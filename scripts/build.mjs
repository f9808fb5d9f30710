// Builds dist/: what bin/autoreply runs on every delivery.
//
//   dist/autoreply.cjs             the delivery: src/ bundled into one CommonJS file
//   dist/autoreply-NAME.cjs        chunks, each loaded only by the runs that need it:
//                                  lmdb (the once database in a file), postgres, redis
//                                  (shared servers), commands (once, check, vacation
//                                  on/off), yargs (--help, --version, usage errors),
//                                  schedule (date-fns' parser for --start/--end),
//                                  quote (mailparser, for $message_text, $message_quote
//                                  and a reply file's {quote})
//   dist/*.cjs.ID.cache            V8's code cache for exactly that build of the file,
//                                  made by training runs
// Each file's last line names its build: `//# build=ID`.
//
// Start-up is paid on every delivery (SPEC 9; `npm run bench` measures it):
// - CommonJS because Node 20 can reuse V8's code cache only for scripts (vm.Script
//   cachedData), not for ES modules: the cache saves most of the compiling;
// - chunks because reading a file and deserialising its code cache cost by the
//   byte: a delivery refused by a safety rule should not pay for lmdb, pg or yargs.
//   A dynamic import() of a chunk's entry module becomes require('autoreply:NAME'),
//   which bin/autoreply serves from dist/ with the chunk's own code cache. Modules
//   both need are copied into each (they hold no state that must be shared;
//   AutoreplyError is recognised across copies);
// - lmdb's JavaScript is bundled into its chunk; its native addon stays in
//   node_modules, and so does libmime (charset tables, loaded only for an encoded
//   word in a charset other than UTF-8, ASCII or Latin-1).
// A cache is only used with the build it names and by a node that accepts it;
// otherwise bin/autoreply compiles from source (slower, same behaviour). Files are
// replaced by rename, so a delivery running during a rebuild sees a whole build.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build, buildSync } from 'esbuild';

const require = createRequire(import.meta.url);
const DIST = 'dist';
const SRC = resolve('src');
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version;

/** The chunks: entry module (what the source imports dynamically) → chunk name. */
const CHUNKS = {
  'once/lmdb/store.ts': 'lmdb',
  'once/postgres/store.ts': 'postgres',
  'once/redis/store.ts': 'redis',
  'commands/once/run.ts': 'commands',
  'commands/check/run.ts': 'commands',
  'commands/vacation/switch.ts': 'commands',
  'rules/schedule-parse.ts': 'schedule',
  'message/quote.ts': 'quote',
};
/** Packages imported dynamically that are chunks of their own. */
const PACKAGE_CHUNKS = { yargs: 'yargs' };

/**
 * A dynamic import() of a chunk's module becomes require('autoreply:NAME') — unless
 * that module is the one being built. (esbuild keeps an import() of an external
 * module as import(); going through a small module of our own makes it a require.)
 */
function chunkBoundaries(self) {
  const chunk = (name) => (name === self ? undefined : { path: name, namespace: 'autoreply-chunk' });
  // A package chunk exports the package's default export; import() of it must give
  // that back as `default` (node's interop takes module.exports as the default).
  const packages = new Set(Object.values(PACKAGE_CHUNKS));
  return {
    name: 'chunk-boundaries',
    setup(b) {
      b.onResolve({ filter: /^autoreply:/ }, (args) => ({ path: args.path, external: true }));
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const pkg = PACKAGE_CHUNKS[args.path];
        if (pkg !== undefined) return chunk(pkg);
        if (!args.path.startsWith('.')) return undefined;
        const file = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        const name = CHUNKS[file.slice(SRC.length + 1)];
        return name === undefined ? undefined : chunk(name);
      });
      b.onLoad({ filter: /.*/, namespace: 'autoreply-chunk' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`autoreply:${args.path}`)})${packages.has(args.path) ? '.default' : ''};`,
        loader: 'js',
      }));
    },
  };
}

/**
 * lmdb finds its native addon (and its compression dictionary) from its own file
 * name; bundled, that would be ours. Point it at the package in node_modules.
 *
 * Finding the addon (node-gyp-build's search of prebuilds and packages, and
 * resolving the lmdb package) takes several milliseconds of every delivery: the
 * addon found now is loaded straight away when node's ABI is the same and the file
 * is where it was (relative to the package); only otherwise do the search and its
 * module load run.
 */
function lmdbFromNodeModules() {
  const ownUrl =
    "(typeof document === 'undefined' ? new (require('u' + 'rl').URL)('file:' + __filename).href : " +
    "(document.currentScript && document.currentScript.tagName.toUpperCase() === 'SCRIPT' && document.currentScript.src || " +
    "new URL('index.cjs', document.baseURI).href))";
  const lmdbPath = "require('node:module').createRequire(__filename).resolve('lmdb')";
  const lmdbDir = join(process.cwd(), 'node_modules', 'lmdb');
  const addon = relative(process.cwd(), require('node-gyp-build-optional-packages').path(lmdbDir));
  const edits = [
    // loaded only by the fallback search
    ["var loadNAPI = require('node-gyp-build-optional-packages');", "var loadNAPI = { get default() { return require('node-gyp-build-optional-packages'); } };"],
    [
      `let dirName = pathModule.dirname(node_url.fileURLToPath(${ownUrl})).replace(/dist$/, '');\nlet nativeAddon = loadNAPI__default["default"](dirName);`,
      `let nativeAddon = (() => { try { if (process.versions.modules === ${JSON.stringify(process.versions.modules)}) ` +
        `return require(require('node:path').join(__dirname, '..', ${JSON.stringify(addon)})); } catch {} ` +
        `return loadNAPI__default["default"](pathModule.dirname(pathModule.dirname(${lmdbPath}))); })();`,
    ],
    // the compression dictionary (we use no compression)
    [`'./dict/dict.txt',\n\t\t\t\t\t\t${ownUrl}`, `'./dict/dict.txt',\n\t\t\t\t\t\trequire('node:url').pathToFileURL(${lmdbPath}).href`],
    // msgpackr (and the node:stream it loads) serves only the msgpack encoding; we store binary
    ["var msgpackr = require('msgpackr');", "var msgpackr = { get Encoder() { return require('msgpackr').Encoder; } };"],
    ['MsgpackrEncoder: msgpackr.Encoder,', 'MsgpackrEncoder: function MsgpackrEncoder(options) { return new msgpackr.Encoder(options); },'],
    // lmdb requires only node's own modules (and cbor-x, for an encoder we do not use) through it
    [`let require$1 = node_module.createRequire(${ownUrl});`, 'let require$1 = node_module.createRequire(__filename);'],
  ];
  return {
    name: 'lmdb-from-node-modules',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]lmdb[\\/]dist[\\/]index\.cjs$/ }, async (args) => {
        let contents = readFileSync(args.path, 'utf8');
        for (const [from, to] of edits) {
          if (contents.split(from).length !== 2) throw new Error(`lmdb/dist/index.cjs: expected once: ${from.slice(0, 60)}... (lmdb changed?)`);
          contents = contents.replace(from, () => to);
        }
        if (contents.includes(ownUrl)) throw new Error('lmdb/dist/index.cjs: a reference to its own file name is left (lmdb changed?)');
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * pg checks whether it runs on Cloudflare by constructing a Response, which on
 * Node 20 loads undici, http, zlib and worker_threads: about 55 ms on every
 * delivery that uses PostgreSQL. We never run on Cloudflare.
 */
function pgWithoutCloudflareProbe() {
  return {
    name: 'pg-without-cloudflare-probe',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        const patched = text.replace(/if \(isCloudflareRuntime\(\)\) \{/g, 'if (false) {');
        if (patched === text) throw new Error('pg/lib/stream.js: the Cloudflare probe was not found (pg changed?)');
        return { contents: patched, loader: 'js' };
      });
    },
  };
}

/**
 * pg, as the PostgreSQL store uses it, for less start-up: what only some
 * connections need is loaded when first used.
 * - node's crypto (and the Web Crypto it reads at load): only for a password the
 *   server asks for (md5, SCRAM), or a SCRAM nonce; with trust or peer
 *   authentication a delivery never loads it;
 * - node's dns: pg looks a host name up only for pg-native's connection string.
 * (tls is already loaded by pg only for sslmode; net by the connection.)
 * Each edit must match exactly once, else the build fails (pg changed?); the
 * crypto module may use only the functions made lazy here.
 */
function pgSlim() {
  const lazyWebCrypto = '(nodeCrypto.webcrypto || globalThis.crypto)';
  const subtle = ['digest', 'importKey', 'sign', 'deriveBits'];
  const edits = {
    'pg/lib/crypto/utils.js': [
      [
        "const nodeCrypto = require('crypto')",
        "const nodeCrypto = { get webcrypto() { return require('crypto').webcrypto }, createHash(...a) { return require('crypto').createHash(...a) } }",
      ],
      [
        'const webCrypto = nodeCrypto.webcrypto || globalThis.crypto',
        `const webCrypto = { getRandomValues(a) { return ${lazyWebCrypto}.getRandomValues(a) }, get subtle() { return ${lazyWebCrypto}.subtle } }`,
      ],
      ['const subtleCrypto = webCrypto.subtle', `const subtleCrypto = { ${subtle.map((f) => `${f}: (...a) => webCrypto.subtle.${f}(...a)`).join(', ')} }`],
    ],
    'pg/lib/connection-parameters.js': [["const dns = require('dns')", "const dns = { lookup: (...a) => require('dns').lookup(...a) }"]],
  };
  const uses = {
    'pg/lib/crypto/utils.js': (text) => {
      const bad = [
        ...[...text.matchAll(/\bnodeCrypto\.(\w+)/g)].map((m) => m[1]).filter((f) => f !== 'webcrypto' && f !== 'createHash'),
        ...[...text.matchAll(/\bwebCrypto\.(\w+)/g)].map((m) => m[1]).filter((f) => f !== 'subtle' && f !== 'getRandomValues'),
        ...[...text.matchAll(/\bsubtleCrypto\.(\w+)/g)].map((m) => m[1]).filter((f) => !subtle.includes(f)),
      ];
      if (bad.length > 0) throw new Error(`pg/lib/crypto/utils.js uses ${bad.join(', ')}: make it lazy in pgSlim (pg changed?)`);
    },
    'pg/lib/connection-parameters.js': (text) => {
      const bad = [...text.matchAll(/\bdns\.(\w+)/g)].map((m) => m[1]).filter((f) => f !== 'lookup');
      if (bad.length > 0) throw new Error(`pg/lib/connection-parameters.js uses dns.${bad.join(', dns.')}: make it lazy in pgSlim (pg changed?)`);
    },
  };
  const at = (path) => Object.keys(edits).find((k) => path.replace(/\\/g, '/').endsWith(`/node_modules/${k}`));
  return {
    name: 'pg-slim',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/].*\.js$/ }, (args) => {
        const key = at(args.path);
        if (key === undefined) return undefined;
        let contents = readFileSync(args.path, 'utf8');
        uses[key](contents);
        for (const [from, to] of edits[key]) {
          if (contents.split(from).length !== 2) throw new Error(`${key}: expected once: ${from.slice(0, 60)}... (changed?)`);
          contents = contents.replace(from, () => to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * ioredis, as the Redis store uses it, for less start-up (a Redis delivery paid
 * about 135M instructions more than one on LMDB, most of it evaluating ioredis):
 * - @ioredis/commands' table is cut to the commands the store and ioredis itself
 *   send (IOREDIS_COMMANDS): ioredis defines two methods per command in the table
 *   and parses every entry's flags at load. A command left out is not a method
 *   (the store's are checked against the list below, at build time);
 * - what only some runs need is loaded when first used: node's tls (rediss://),
 *   assert (redis-errors, for a protocol error), ioredis' Cluster (and node's
 *   dns it loads), and the debug package (only when DEBUG is set, as it reads
 *   DEBUG at load; unset, every ioredis debug function is disabled, as with the
 *   package);
 * - a script's SHA1 is known from the build (luaSha1) rather than computed with
 *   node:crypto, which nothing else of a delivery loads.
 * Each edit must match exactly once, else the build fails (ioredis changed?).
 */
const IOREDIS_COMMANDS = [
  // the store (src/once/redis/store.ts)
  'eval', 'evalsha', 'script', 'hget', 'hmget', 'hgetall', 'pttl', 'del', 'ping', 'info', 'scan',
  // ioredis: the handshake, the ready check, disconnecting, pipelines and transactions, subscriber mode
  'hello', 'auth', 'select', 'client', 'readonly', 'quit', 'multi', 'exec', 'asking',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'monitor',
];
/** The SHA1 of each of the store's Lua scripts (scripts.ts): ioredis needs them, node:crypto costs start-up. */
function luaSha1() {
  const { outputFiles } = buildSync({ entryPoints: [join(SRC, 'once/redis/scripts.ts')], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'warning' });
  const mod = { exports: {} };
  new Function('module', 'exports', outputFiles[0].text)(mod, mod.exports);
  const out = {};
  for (const lua of Object.values(mod.exports)) if (typeof lua === 'string') out[lua] = createHash('sha1').update(lua).digest('hex');
  if (Object.keys(out).length === 0) throw new Error('src/once/redis/scripts.ts: no scripts found');
  return out;
}
function ioredisSlim() {
  const store = readFileSync(join(SRC, 'once/redis/store.ts'), 'utf8');
  const used = new Set([...store.matchAll(/this\.redis\.(\w+?)(?:Buffer)?\(/g)].map((m) => m[1].toLowerCase()));
  for (const m of store.matchAll(/\['(\w+)', k/g)) used.add(m[1]);
  const own = new Set(['on', 'connect', 'disconnect', 'pipeline', 'onceclaim', 'oncemerge', 'onceprune']);
  for (const c of used) if (!own.has(c) && !IOREDIS_COMMANDS.includes(c)) throw new Error(`scripts/build.mjs: the Redis store uses ${c}: add it to IOREDIS_COMMANDS`);
  const edits = {
    'redis-errors/lib/modern.js': [["const assert = require('assert')", "const assert = (...a) => require('assert')(...a)\nassert.strictEqual = (...a) => require('assert').strictEqual(...a)"]],
    'ioredis/built/connectors/StandaloneConnector.js': [
      ['const tls_1 = require("tls");', 'const tls_1 = { get connect() { return require("tls").connect; } };'],
    ],
    'ioredis/built/connectors/SentinelConnector/index.js': [
      ['const tls_1 = require("tls");', 'const tls_1 = { get connect() { return require("tls").connect; } };'],
    ],
    'ioredis/built/Script.js': [
      ['const crypto_1 = require("crypto");', `const knownSha1 = new Map(${JSON.stringify(Object.entries(luaSha1()).map(([lua, sha]) => [lua, sha]))});`],
      ['this.sha = (0, crypto_1.createHash)("sha1").update(lua).digest("hex");', 'this.sha = knownSha1.get(lua) ?? require("crypto").createHash("sha1").update(lua).digest("hex");'],
    ],
    'ioredis/built/Redis.js': [
      ['const cluster_1 = require("./cluster");', 'const cluster_1 = { get default() { return require("./cluster").default; } };'],
      ['Redis.Cluster = cluster_1.default;', 'Object.defineProperty(Redis, "Cluster", { configurable: true, enumerable: true, get() { return cluster_1.default; } });'],
    ],
    'ioredis/built/index.js': [['var cluster_1 = require("./cluster");', 'var cluster_1 = { get default() { return require("./cluster").default; } };']],
    'ioredis/built/utils/debug.js': [
      [
        'const debug_1 = require("debug");',
        'const debug_1 = process.env.DEBUG ? require("debug") : { default: Object.assign((namespace) => Object.assign(() => {}, { namespace, enabled: false }), { enabled: () => false }) };',
      ],
    ],
  };
  const at = (path) => Object.keys(edits).find((k) => path.replace(/\\/g, '/').endsWith(`/node_modules/${k}`));
  return {
    name: 'ioredis-slim',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]@ioredis[\\/]commands[\\/]built[\\/]commands\.json$/ }, (args) => {
        const all = JSON.parse(readFileSync(args.path, 'utf8'));
        const kept = {};
        for (const c of IOREDIS_COMMANDS) {
          if (!all[c]) throw new Error(`@ioredis/commands has no command ${c} (changed?)`);
          kept[c] = all[c];
        }
        return { contents: JSON.stringify(kept), loader: 'json' };
      });
      b.onLoad({ filter: /[\\/]node_modules[\\/](redis-errors|ioredis)[\\/].*\.js$/ }, (args) => {
        const key = at(args.path);
        if (key === undefined) return undefined;
        let contents = readFileSync(args.path, 'utf8');
        for (const [from, to] of edits[key]) {
          if (contents.split(from).length !== 2) throw new Error(`${key}: expected once: ${from.slice(0, 60)}... (changed?)`);
          contents = contents.replace(from, () => to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/** Bundle one file of dist/ (from a file, or from the source of an entry module) and return its bytes. */
async function bundle(entry, self) {
  const result = await build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { contents: entry.contents, resolveDir: process.cwd(), sourcefile: `${self}.ts`, loader: 'ts' } }),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    legalComments: 'none',
    // bin/autoreply decodes the files as latin1, the fastest decoding: only ASCII may be written
    charset: 'ascii',
    logLevel: 'warning',
    // left in node_modules: native addons and their loaders, optional natives, libmime's tables
    external: ['libmime', 'msgpackr-extract', 'node-gyp-build-optional-packages', 'pg-native', 'pg-cloudflare'],
    plugins: [chunkBoundaries(self), lmdbFromNodeModules(), pgWithoutCloudflareProbe(), ...(process.env.SLIM === '0' ? [] : [ioredisSlim(), pgSlim()])],
    // src/ is ES modules: `createRequire(import.meta.url)` resolves from dist/, computed only if asked
    define: { 'import.meta.url': '__autoreply_meta.url', AUTOREPLY_VERSION: JSON.stringify(VERSION) },
    banner: { js: "const __autoreply_meta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  });
  // A dynamic import() left in a bundle would need an ES module loader that a
  // script compiled from cached data does not get.
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    const dynamic = out.imports.filter((i) => i.kind === 'dynamic-import' && i.external);
    if (dynamic.length > 0) throw new Error(`${file}: import() of ${dynamic.map((i) => i.path).join(', ')}; use require or make it a chunk`);
  }
  if (process.env.AUTOREPLY_BUILD_META) writeFileSync(`${process.env.AUTOREPLY_BUILD_META}-${self}.json`, JSON.stringify(result.metafile));
  return result.outputFiles[0].contents;
}

/** The entry of each chunk: a module that re-exports its entry modules. */
function chunkEntries() {
  const byName = {};
  for (const [mod, name] of Object.entries(CHUNKS)) (byName[name] ??= []).push(mod);
  const entries = {};
  for (const [name, mods] of Object.entries(byName)) {
    entries[name] = { contents: mods.map((m) => `export * from ${JSON.stringify(join(SRC, m))};`).join('\n') + '\n' };
  }
  for (const [pkg, name] of Object.entries(PACKAGE_CHUNKS)) entries[name] = { contents: `export { default } from ${JSON.stringify(pkg)};\n` };
  return entries;
}

const work = mkdtempSync(join(tmpdir(), 'autoreply-build-'));
try {
  const files = { 'autoreply.cjs': await bundle('src/entry.ts', 'main') };
  for (const [name, entry] of Object.entries(chunkEntries())) files[`autoreply-${name}.cjs`] = await bundle(entry, name);

  mkdirSync(DIST, { recursive: true });
  const keep = new Set();
  for (const [file, contents] of Object.entries(files)) {
    const id = createHash('sha256').update(contents).digest('hex').slice(0, 16);
    writeFileSync(join(DIST, `${file}.tmp`), Buffer.concat([contents, Buffer.from(`//# build=${id}\n`)]));
    renameSync(join(DIST, `${file}.tmp`), join(DIST, file));
    keep.add(file).add(`${file}.${id}.cache`);
  }
  for (const f of readdirSync(DIST)) if (!keep.has(f)) rmSync(join(DIST, f), { recursive: true, force: true });

  // the caches are made afresh (a training run adds to the cache it finds)
  for (const f of keep) if (f.endsWith('.cache')) rmSync(join(DIST, f), { force: true });
  await train(work);

  const kb = (f) => `${(statSync(join(DIST, f)).size / 1024).toFixed(0)} KB`;
  for (const f of [...keep].filter((f) => f.endsWith('.cjs'))) {
    const cache = [...keep].find((c) => c.startsWith(`${f}.`));
    let cached = 'no code cache';
    try {
      cached = `code cache ${kb(cache)}`;
    } catch {
      // a chunk no training run loads
    }
    console.log(`dist/${f} ${kb(f)}, ${cached}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Training: runs that exercise each file, with bin/autoreply asked to save, at
 * exit, the code cache of the files named (it then holds the bytecode of every
 * function that ran). A run that finds a file's cache made by an earlier run
 * starts from it and adds to it: the main bundle's holds what a delivery runs on
 * LMDB and on PostgreSQL.
 */
async function train(work) {
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
  const htmlMessage = [
    ...message.split('\n').slice(0, 5),
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<html><body><p>Hello <b>Bob</b>,</p><p>caf=E9 on Friday?</p><ul><li>one</li></ul><a href=3D"https://example.org/">link</a></body></html>',
    '',
  ].join('\n');
  const delivery = [
    '--sender', 'alice@example.org', '--recipient', 'bob@example.com', '--to', '$reply_address', '--subject', 'Re: $h_subject:',
    '--text', 'Away until ${tod_log}.\n', '--once-repeat', '7d', '--log', join(work, 'log'), '--sendmail', '/bin/true',
  ];
  const runs = [
    // the delivery path, with a once database in a file: the main bundle and lmdb
    { save: 'main,lmdb', args: [...delivery, '--once', join(work, 'once')], input: message },
    // the management commands, and yargs (a --help page runs most of it)
    { save: 'commands', args: ['once', 'list', '--once', join(work, 'once')] },
    { save: 'yargs', args: ['--help'] },
    { save: 'schedule', args: [...delivery, '--start', '2020-01-01', '--end', '2020-01-02T10:00', '--dry-run'], input: message },
    // mailparser, for the message's text: an HTML-only message (the text is made from it, quoted-printable, Latin-1)
    { save: 'quote', args: [...delivery, '--text', 'You wrote:\n$message_quote\n', '--dry-run'], input: htmlMessage },
    // the servers' clients: a claim answered by a stand-in server (below), so that the code cache holds what a delivery runs
    { save: 'main,postgres', args: [...delivery, '--once', 'postgresql://autoreply@127.0.0.1:PORT/mail', '--once-timeout', '2'], input: message, server: withFakePostgres },
    { save: 'redis', args: [...delivery, '--once', 'redis://127.0.0.1:PORT', '--once-timeout', '2'], input: message, server: withFakeRedis },
  ];
  for (const r of runs) {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, AUTOREPLY_SAVE_CODE_CACHE: r.save };
    const run = r.server ? await r.server((port) => spawnAsync(process.execPath, ['bin/autoreply', ...r.args.map((a) => a.replace('PORT', port))], { input: r.input ?? '', env }))
      : spawnSync(process.execPath, ['bin/autoreply', ...r.args], { input: r.input ?? '', env, encoding: 'utf8' });
    if (!r.fails && run.status !== 0) throw new Error(`training run (${r.save}) failed (${run.status}): ${run.stderr}`);
    if (r.fails && run.status !== 75) throw new Error(`training run (${r.save}) should defer, not exit ${run.status}: ${run.stderr}`);
  }
}

/** A child's exit status and stderr (the build's own event loop keeps running: the stand-in server answers). */
function spawnAsync(cmd, args, { input, env }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject).on('close', (status) => resolvePromise({ status, stderr }));
    child.stdin.end(input);
  });
}

/**
 * A stand-in Redis server on a port of 127.0.0.1 for one training run: it
 * answers HELLO as Redis 7 does (RESP3), a script (EVAL/EVALSHA) with the claim's
 * "send", anything else with +OK.
 */
async function withFakeRedis(run) {
  const hello = ['%7', '+server', '+redis', '+version', '+7.0.15', '+proto', ':3', '+id', ':1', '+mode', '+standalone', '+role', '+master', '+modules', '*0', ''].join('\r\n');
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const cmd = parseResp(buf);
        if (cmd === undefined) break;
        buf = buf.subarray(cmd.end);
        const name = cmd.args[0]?.toLowerCase();
        socket.write(name === 'hello' ? hello : name === 'eval' || name === 'evalsha' ? '*1\r\n$4\r\nsend\r\n' : '+OK\r\n');
      }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    return await run(String(server.address().port));
  } finally {
    server.close();
  }
}

/**
 * A stand-in PostgreSQL server on a port of 127.0.0.1 for one training run: it
 * lets the client in without a password (as trust authentication does), with the
 * parameters a PostgreSQL 15 server reports, and answers a statement of the
 * extended protocol (the claim: parse, bind, describe, execute, sync) with the
 * claim function's row for a first reply, "send". A simple query gets an empty
 * result; Terminate closes the connection.
 */
async function withFakePostgres(run) {
  const msg = (type, ...parts) => {
    const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(`${p}\0`) : p)));
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const int32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
  const int16 = (n) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
  const ready = msg('Z', Buffer.from('I'));
  const params = { application_name: 'autoreply', client_encoding: 'UTF8', DateStyle: 'ISO, MDY', integer_datetimes: 'on', IntervalStyle: 'postgres',
    is_superuser: 'off', server_encoding: 'UTF8', server_version: '15.8', session_authorization: 'autoreply', standard_conforming_strings: 'on', TimeZone: 'UTC' };
  const welcome = Buffer.concat([msg('R', int32(0)), ...Object.entries(params).map(([k, v]) => msg('S', k, v)), msg('K', int32(4242), int32(7)), ready]);
  // RETURNS TABLE (verdict text, prev_reply bigint, prev_count bigint, prev_note text, replies_last_hour bigint)
  const columns = [['verdict', 25], ['prev_reply', 20], ['prev_count', 20], ['prev_note', 25], ['replies_last_hour', 20]];
  const rowDescription = msg('T', int16(columns.length), ...columns.flatMap(([name, oid]) => [name, int32(0), int16(0), int32(oid), int16(oid === 25 ? -1 : 8), int32(-1), int16(0)]));
  const value = (v) => (v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]));
  const dataRow = msg('D', int16(columns.length), ...['send', null, null, null, '1'].map(value));
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 4 || buf.length < buf.readInt32BE(0)) break;
          const len = buf.readInt32BE(0);
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) socket.write('N'); // SSLRequest: no TLS here
          else if (code === 196608) {
            started = true;
            socket.write(welcome);
          } else throw new Error(`stand-in PostgreSQL server: unexpected start-up code ${code}`);
          continue;
        }
        if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) break;
        const type = String.fromCharCode(buf[0]);
        buf = buf.subarray(1 + buf.readInt32BE(1));
        const reply = { P: msg('1'), B: msg('2'), D: rowDescription, E: Buffer.concat([dataRow, msg('C', 'SELECT 1')]), S: ready, Q: Buffer.concat([msg('I'), ready]), C: msg('3'), H: Buffer.alloc(0) }[type];
        if (type === 'X') socket.end();
        else if (reply === undefined) throw new Error(`stand-in PostgreSQL server: unexpected message ${JSON.stringify(type)}`);
        else socket.write(reply);
      }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    return await run(String(server.address().port));
  } finally {
    server.close();
  }
}

/** One command (an array of bulk strings) at the start of `buf`: its arguments and length, or undefined if incomplete. */
function parseResp(buf) {
  const line = (at) => {
    const end = buf.indexOf('\r\n', at);
    return end < 0 ? undefined : { text: buf.toString('latin1', at, end), next: end + 2 };
  };
  const head = line(0);
  if (head === undefined) return undefined;
  if (head.text[0] !== '*') throw new Error(`stand-in Redis server: unexpected ${JSON.stringify(head.text)}`);
  const args = [];
  let at = head.next;
  for (let i = 0; i < Number(head.text.slice(1)); i++) {
    const len = line(at);
    if (len === undefined) return undefined;
    const n = Number(len.text.slice(1));
    if (buf.length < len.next + n + 2) return undefined;
    args.push(buf.toString('latin1', len.next, len.next + n));
    at = len.next + n + 2;
  }
  return { args, end: at };
}
