/**
 * Runs the tests' TypeScript in node (tap's node-arg: --import of this file).
 *
 * Why not ts-node (tap's own plugin) or tsx: each starts a TypeScript compiler or
 * esbuild in every test process and costs 0.8-1.3 s of CPU per test file, about
 * 50 s of the suite on two cores. These hooks only strip types, with esbuild,
 * and keep the result in node_modules/.cache keyed by the source's hash, so a
 * test process normally reads JavaScript from the cache (filled by warm.mjs
 * before the suite) and never loads esbuild.
 */
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
