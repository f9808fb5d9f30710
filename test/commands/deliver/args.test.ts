/**
 * The command line's fast path (argv.ts, without yargs) must read
 * every command line exactly as yargs does, and hand anything unusual to yargs.
 */
import t from 'tap';
import { quickParse, transportParser } from '../../../src/commands/deliver/args.js';

const viaYargs = async (args: string[]) => {
  const parsed = (await (await transportParser(args)).parseAsync(args)) as Record<string, unknown>;
  delete parsed.$0;
  return parsed;
};

t.test('same result as yargs', async (t) => {
  const lines: string[][] = [
    [],
    ['--to', '$reply_address', '--subject', 'Re: $h_subject:', '--text', 'away\n'],
    ['--once', '/var/spool/a', '--once-repeat', '7d', '--once_file_size', '10K'],
    ['--exim-strict', '--config', '/etc/a.conf', '--sendmail', '/usr/sbin/sendmail', '--primary-hostname', 'mx'],
    ['--no-exim-strict', '--dry-run', '--json', '--verbose'],
    ['--alias', 'a@x', '--alias', 'b@x', '--max-recipients', '3', '--max-replies-per-hour=0'],
    ['--allow-bulk', '--allow-list', '--x-loop', 'me@x', '--authserv-id', 'mx.example'],
    ['--return-message', 'true', '--return_size_limit', '0', '--file-optional', 'yes'],
    ['--subject=', '--to=a@b', '--start', '2026-01-01', '--end', '2026-01-02 17:00'],
    ['--text', '--dry-run'],
  ];
  for (const args of lines) {
    const fast = quickParse(args);
    t.ok(fast, `fast path taken: ${args.join(' ')}`);
    t.same(fast, await viaYargs(args), args.join(' '));
  }
});

t.test('anything unusual goes to yargs', async (t) => {
  for (const args of [['--help'], ['--version'], ['--bogus'], ['stray'], ['--to', 'a', '--', 'x'], ['-h'], ['--no-help'], ['--text', '-x'], ['--max-recipients', 'many']]) {
    t.equal(quickParse(args), undefined, args.join(' '));
  }
});

t.test('the forms an MTA or a person writes read the same by both', async (t) => {
  const lines: string[][] = [
    ['--alias', 'a@x', 'b@y', '--verbose'],
    ['--alias=a@x', '--alias=b@y'],
    ['--to', 'a@b', '--to', 'c@d'],
    ['--dry-run', 'true', '--verbose=false'],
    ['--sender', '', '--recipient', 'bob@example.com'],
    ['--sender=', '--max-recipients', '-1'],
    ['--no-file-expand', '--once', '/x y/z'],
    ['--submit-timeout', '2.5', '--once-timeout=3'],
    ['--text', 'a=b', '--subject', 'Re: =?utf-8?q?x?='],
  ];
  for (const args of lines) {
    const fast = quickParse(args);
    t.ok(fast, `fast path taken: ${args.join(' ')}`);
    t.same(fast, await viaYargs(args), args.join(' '));
  }
});
