// Module hooks for register.mjs (they run in node's loader thread).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../', import.meta.url);
const cacheDir = fileURLToPath(new URL('node_modules/.cache/autoreply-test-ts/', root));
let esbuild;
let esbuildVersion;

/** `./x.js` names `./x.ts` in TypeScript's NodeNext resolution: try the .ts when the .js is not there. */
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('.') || specifier.startsWith('file:');
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !specifier.endsWith('.js')) throw err;
    return next(specifier.slice(0, -3) + '.ts', context);
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  esbuildVersion ??= JSON.parse(readFileSync(new URL('node_modules/esbuild/package.json', root), 'utf8')).version;
  const key = createHash('sha256').update(`${esbuildVersion}\0${file}\0${source}`).digest('hex');
  const cached = `${cacheDir}${key}.mjs`;
  let js;
  try {
    js = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    js = esbuild.transformSync(source, {
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
  }
  return { format: 'module', source: js, shortCircuit: true };
}
