// The JavaScript of a test's TypeScript file, from the cache or made with esbuild
// (types stripped, nothing else: tsc -p tsconfig.test.json does the checking).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../', import.meta.url);
const cacheDir = fileURLToPath(new URL('node_modules/.cache/autoreply-test-ts/', root));
let esbuild;
let esbuildVersion;

export async function compiled(file) {
  const source = readFileSync(file, 'utf8');
  esbuildVersion ??= JSON.parse(readFileSync(new URL('node_modules/esbuild/package.json', root), 'utf8')).version;
  const key = createHash('sha256').update(`${esbuildVersion}\0${file}\0${source}`).digest('hex');
  const cached = `${cacheDir}${key}.mjs`;
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not made yet
  }
  esbuild ??= await import('esbuild');
  const js = esbuild.transformSync(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
  }).code;
  // written aside and renamed: tap runs several test processes at once
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  writeFileSync(tmp, js);
  renameSync(tmp, cached);
  return js;
}
