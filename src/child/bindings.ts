/**
 * Node's own process bindings, which node:child_process is built on.
 *
 * Why: loading node:child_process (with net, dgram and the stream classes it
 * pulls in) and driving a child through pipes costs a delivery about a fifth of
 * node's own start-up — paid by every reply, and by every delivery that takes the
 * lock of an LMDB once database (SPEC 9). A child whose standard input is a file
 * descriptor needs none of that: the bindings start it directly.
 *
 * The bindings are node's internals, not its public API: their option shapes can
 * change between major versions, and a wrong shape aborts the process. They are
 * used only on the major version whose shapes this file was written against and
 * the tests run on; any other node (or AUTOREPLY_PUBLIC_SPAWN set, or
 * --pending-deprecation, under which process.binding() prints a warning) takes
 * node:child_process, with the same behaviour, only slower.
 */

/** The node major version the shapes below are those of. */
const PROVEN_MAJOR = '20';

export interface StdioFd {
  type: 'fd';
  fd: number;
}
export interface StdioIgnore {
  type: 'ignore';
}
/** spawn_sync only: a pipe whose output (stdout, stderr) is collected. */
export interface StdioCollect {
  type: 'pipe';
  readable: false;
  writable: true;
}

interface SpawnOptions {
  file: string;
  /** argv, including argv[0]. */
  args: string[];
  envPairs: string[];
  stdio: (StdioFd | StdioIgnore | StdioCollect)[];
  detached: false;
  windowsHide: false;
  windowsVerbatimArguments: false;
}

export interface SpawnSyncBinding {
  spawn(options: SpawnOptions & { maxBuffer?: number }): {
    status: number | null;
    signal: string | null;
    /** a negative errno when the child could not run */
    error?: number;
    output?: (Buffer | null)[] | null;
  };
}

export interface ProcessHandle {
  /** 0, or a negative errno */
  spawn(options: SpawnOptions): number;
  readonly pid: number;
  /** 0, or a negative errno */
  kill(signal: number): number;
  close(): void;
  /** Called once: the exit status, and the name of the signal that ended it ('' for none). */
  onexit: (status: number, signal: string) => void;
}

export interface ProcessWrapBinding {
  Process: new () => ProcessHandle;
}

function bindingsUsable(): boolean {
  return (
    process.versions.node.split('.')[0] === PROVEN_MAJOR &&
    !process.env.AUTOREPLY_PUBLIC_SPAWN &&
    ![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('pending-deprecation')) &&
    typeof (process as { binding?: unknown }).binding === 'function'
  );
}

function binding<T>(name: string, check: (b: Record<string, unknown>) => boolean): T | undefined {
  if (!bindingsUsable()) return undefined;
  try {
    const b = (process as unknown as { binding(name: string): Record<string, unknown> }).binding(name);
    return check(b) ? (b as T) : undefined;
  } catch {
    return undefined;
  }
}

export const spawnSyncBinding = (): SpawnSyncBinding | undefined => binding('spawn_sync', (b) => typeof b.spawn === 'function');

export const processWrapBinding = (): ProcessWrapBinding | undefined => binding('process_wrap', (b) => typeof b.Process === 'function');

/** The environment as the bindings take it. */
export function envPairs(env: NodeJS.ProcessEnv = process.env): string[] {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) pairs.push(`${k}=${v}`);
  return pairs;
}

export const FIXED = { detached: false, windowsHide: false, windowsVerbatimArguments: false } as const;
