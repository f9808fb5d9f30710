import type * as ChildProcess from 'node:child_process';
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lazyRequire } from '../lazy.js';
import { envPairs, FIXED, processWrapBinding, type ProcessHandle } from './bindings.js';
import { errnoError } from './run-sync.js';

/** How a child ended, or why it never ran. */
export type ChildEnd =
  | { status: number | null; signal: NodeJS.Signals | null; /** its first 4 KiB of stderr */ stderr: string }
  | { error: NodeJS.ErrnoException };

export interface RunningChild {
  kill(signal: NodeJS.Signals): void;
  readonly ended: Promise<ChildEnd>;
}

const STDERR_KEPT = 4096;

/**
 * Start `file args` (never through a shell) with `input` as its standard input,
 * stdout discarded, stderr kept; the caller decides about timeouts and signals.
 *
 * The fast way (bindings.ts): the input is written to an unlinked temporary file
 * (mode 0600, its name gone before anything is written to it) that becomes the
 * child's standard input, and its stderr goes to another; the child reads a
 * regular file instead of a pipe, which sendmail -t and every MDA handle alike.
 * Where no temporary file can be made, or the bindings are not to be used, the
 * child gets pipes through node:child_process.
 */
export function startChild(file: string, args: readonly string[], input: Buffer): RunningChild {
  const Process = processWrapBinding()?.Process;
  if (Process) {
    const stdin = spoolFile();
    const stderr = stdin === undefined ? undefined : spoolFile();
    if (stdin !== undefined && stderr !== undefined && writeAll(stdin, input)) return startWithBinding(new Process(), file, args, stdin, stderr);
    for (const fd of [stdin, stderr]) if (fd !== undefined) closeSync(fd);
  }
  return startWithChildProcess(file, args, input);
}

function startWithBinding(handle: ProcessHandle, file: string, args: readonly string[], stdin: number, stderr: number): RunningChild {
  const done = () => {
    closeSync(stdin);
    closeSync(stderr);
    handle.close();
  };
  let settle: (end: ChildEnd) => void = () => {};
  const ended = new Promise<ChildEnd>((resolve) => (settle = resolve));
  handle.onexit = (status, signal) => {
    const text = readStart(stderr);
    done();
    settle(signal ? { status: null, signal: signal as NodeJS.Signals, stderr: text } : { status, signal: null, stderr: text });
  };
  const err = handle.spawn({
    file,
    args: [file, ...args],
    envPairs: envPairs(),
    stdio: [{ type: 'fd', fd: stdin }, { type: 'ignore' }, { type: 'fd', fd: stderr }],
    ...FIXED,
  });
  if (err !== 0) {
    done();
    settle({ error: errnoError(err) });
  }
  return {
    kill(signal) {
      if (err === 0) handle.kill(osConstants.signals[signal]);
    },
    ended,
  };
}

function startWithChildProcess(file: string, args: readonly string[], input: Buffer): RunningChild {
  const { spawn } = lazyRequire<typeof ChildProcess>('node:child_process');
  const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const ended = new Promise<ChildEnd>((resolve) => {
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < STDERR_KEPT) stderr += text;
    });
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    child.on('close', (status, signal) => resolve({ status, signal, stderr: stderr.slice(0, STDERR_KEPT) }));
  });
  // A child that exits without reading all of its input: its exit status says how it went.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return { kill: (signal) => void child.kill(signal), ended };
}

/** A new, already unlinked, temporary file open for reading and writing; undefined if none can be made. */
function spoolFile(): number | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const path = join(tmpdir(), `autoreply-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      return undefined;
    }
    try {
      unlinkSync(path);
      return fd;
    } catch {
      closeSync(fd);
      return undefined;
    }
  }
  return undefined;
}

/**
 * Write all of `data` at the start of the file without moving its offset (pwrite):
 * the child reads from where the shared offset stands, the beginning.
 */
function writeAll(fd: number, data: Buffer): boolean {
  try {
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, done);
    return true;
  } catch {
    return false; // ENOSPC, EDQUOT, EIO: pipes need no disk
  }
}

function readStart(fd: number): string {
  const buf = Buffer.alloc(STDERR_KEPT);
  try {
    return buf.toString('utf8', 0, readSync(fd, buf, 0, STDERR_KEPT, 0));
  } catch {
    return '';
  }
}
