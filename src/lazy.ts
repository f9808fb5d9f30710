import { createRequire } from 'node:module';

let req: NodeJS.Require | undefined;

/**
 * require() for what a run loads only when it needs it — node builtins such as
 * child_process (about 15 ms to load, paid only by runs that submit) and the
 * packages the bundle leaves in node_modules (libmime). In the bundle `require`
 * is the bundle's own (bin/autoreply passes it); run from source, one is made
 * for this module.
 */
export function lazyRequire<T>(id: string): T {
  req ??= typeof require === 'function' ? require : createRequire(import.meta.url);
  return req(id) as T;
}
