/**
 * Starting the submission program and the lock helper: the bytes reach the child
 * exactly, its stderr and exit come back, and the fast way (node's bindings, an
 * unlinked spool file as stdin) and the public way (node:child_process, pipes)
 * behave alike. Real children: the process is the point.
 */
import t from 'tap';
import { chmodSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../../src/child/start.js';
import { runSync } from '../../src/child/run-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'autoreply-child-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A program that copies its stdin to a file, says something on stderr and exits with $1. */
const copier = join(dir, 'copier');
writeFileSync(copier, '#!/bin/sh\ncat > "$2"\necho "said on stderr: $1" >&2\nexit "$1"\n');
chmodSync(copier, 0o755);

function withRoute(route: 'bindings' | 'child_process', fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    const before = process.env.AUTOREPLY_PUBLIC_SPAWN;
    if (route === 'child_process') process.env.AUTOREPLY_PUBLIC_SPAWN = '1';
    else delete process.env.AUTOREPLY_PUBLIC_SPAWN;
    try {
      await fn();
    } finally {
      if (before === undefined) delete process.env.AUTOREPLY_PUBLIC_SPAWN;
      else process.env.AUTOREPLY_PUBLIC_SPAWN = before;
    }
  };
}

const spoolFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`autoreply-${process.pid}-`));

for (const route of ['bindings', 'child_process'] as const) {
  t.test(`${route}: every byte reaches the child, stderr and status come back`, withRoute(route, async () => {
    // 1 MiB with every byte value, more than a pipe holds
    const input = Buffer.alloc(1 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
    const out = join(dir, `${route}.out`);
    const end = await startChild(copier, ['3', out], input).ended;
    t.same(end, { status: 3, signal: null, stderr: 'said on stderr: 3\n' });
    t.ok(readFileSync(out).equals(input), 'the child read exactly the input');
    t.same(spoolFiles(), [], 'no spool file left behind');
  }));

  t.test(`${route}: a child killed by a signal`, withRoute(route, async () => {
    const child = startChild('/bin/sleep', ['30'], Buffer.from(''));
    setTimeout(() => child.kill('SIGTERM'), 100);
    const end = await child.ended;
    t.same(end, { status: null, signal: 'SIGTERM', stderr: '' });
  }));

  t.test(`${route}: a program that does not exist`, withRoute(route, async () => {
    const end = await startChild(join(dir, 'missing'), [], Buffer.from('x')).ended;
    t.ok('error' in end && end.error.code === 'ENOENT', 'ENOENT');
  }));

  t.test(`${route}: runSync gives the helper our descriptor as its stdin`, withRoute(route, async () => {
    const file = join(dir, `${route}.in`);
    writeFileSync(file, 'from the descriptor\n');
    const fd = openSync(file, 'r');
    try {
      const out = join(dir, `${route}.sync.out`);
      t.same(runSync(copier, ['0', out], fd), { status: 0, signal: null, stderr: 'said on stderr: 0\n' });
      t.equal(readFileSync(out, 'utf8'), 'from the descriptor\n');
      const missing = runSync(join(dir, 'missing'), [], fd);
      t.equal(missing.error?.code, 'ENOENT');
    } finally {
      closeSync(fd);
    }
  }));
}

t.test('no usable temporary directory: the input goes through a pipe instead', withRoute('bindings', async () => {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = join(dir, 'no-such-dir');
  try {
    const out = join(dir, 'fallback.out');
    const end = await startChild(copier, ['0', out], Buffer.from('through a pipe\n')).ended;
    t.same(end, { status: 0, signal: null, stderr: 'said on stderr: 0\n' });
    t.equal(readFileSync(out, 'utf8'), 'through a pipe\n');
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}));
