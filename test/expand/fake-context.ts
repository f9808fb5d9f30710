import type { ExpansionContext, Expanded, HeaderForm } from '../../src/expand/index.js';

/** A small in-memory ExpansionContext: variables untainted unless listed as tainted. */
export function fakeContext(opts: {
  vars?: Record<string, string>;
  taintedVars?: Record<string, string>;
  headers?: Record<string, Partial<Record<HeaderForm, string>>>;
  files?: Record<string, string>;
  env?: Record<string, string>;
} = {}): ExpansionContext {
  return {
    variable(name: string): Expanded | undefined {
      if (opts.taintedVars && name in opts.taintedVars) return { value: opts.taintedVars[name] as string, tainted: true };
      if (opts.vars && name in opts.vars) return { value: opts.vars[name] as string, tainted: false };
      return undefined;
    },
    header(name: string, form: HeaderForm): Expanded | undefined {
      const key = Object.keys(opts.headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key === undefined) return undefined;
      const h = (opts.headers ?? {})[key] ?? {};
      return { value: h[form] ?? h.decoded ?? '', tainted: true };
    },
    readFile(path: string): string {
      const f = opts.files?.[path];
      if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return f;
    },
    env: (name: string) => opts.env?.[name],
    fileExists: (path: string) => opts.files?.[path] !== undefined,
  };
}
