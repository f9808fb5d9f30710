/**
 * `autoreply vacation on|off|status [--user NAME]`: what Debian's vacation(1)
 * leaves to the user (vacation -i, an edited ~/.forward, ~/.vacation.msg), as
 * one command each. The reply itself is `autoreply vacation` (run.ts), run by
 * the MTA from the ~/.forward this writes (forward-file.ts has its format and
 * the combining and refusal rules).
 *
 *   on      ~/.vacation.msg: from --message FILE, else standard input when it is
 *           not a terminal, else the one there is, else a text naming the user;
 *           ~/.forward: the previous one (saved as ~/.forward.autoreply-saved)
 *           plus `"|PROGRAM vacation --fire-and-forget [--start D] [--end D]
 *           [--alias A]..."`, or `\USER, "|..."` when there was none. PROGRAM is
 *           this program's own path (process.argv[1], made absolute: the
 *           installed bin/autoreply, or the link to it on the PATH), checked to
 *           start as the MTA will start it. Run again while on: new dates and
 *           aliases, the same saved file.
 *   off     the previous ~/.forward back exactly (or none); ~/.vacation.msg, the
 *           once database ~/.vacation and the log ~/.vacation.log stay.
 *   status  on or off, since when, the dates, the message's first line, whom it
 *           answered (the once database, read with the store code).
 *
 * Root must name the user (--user) and acts as that user (account.ts). Exit
 * codes: 64 a bad command line (root without --user, a bad date), 65 an unusable
 * message text, 75 a file that could not be read or written (try again), 78 a
 * ~/.forward that cannot be combined safely, or a program path that cannot go
 * into it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { bytes, type ByteString, fromBuffer, fromText } from '../../bytes.js';
import { AutoreplyError, EXIT, configError, dataError, usageError } from '../../errors.js';
import { FileTooLargeError, readFileCapped } from '../../files.js';
import { accountFor, becomeUser, type Account } from './account.js';
import { ForwardRefusal, SAVED_NAME, commandLine, examineForward, isSafeWord, planOff, planOn, readOurs, type VacationSettings } from './forward-file.js';
import { exists, keepAs, moveOver, readRegular, remove, writeAtomically, type ReadFile } from './home-files.js';
import { defaultMessage, expansionProblems, firstLine } from './message-text.js';
import { parseCommand, subcommandParser } from '../yargs.js';
import { line, statusLines, when, type Answered, type ForwardState } from './status-report.js';

type Args = Record<string, unknown>;
type Command = 'on' | 'off' | 'status';

/** What the runner takes from the world; tests give their own. */
export interface SwitchDeps {
  /** The account to act for; default: the real user, or --user for root (who then becomes that user). */
  account?: Account;
  /** The program the .forward runs; default: this program (process.argv[1], absolute). */
  program?: string;
  now?: Date;
  /** Standard input when it is not a terminal, else undefined. */
  stdin?: () => Buffer | undefined;
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The files of a vacation, in the user's home. */
interface Paths {
  home: string;
  forward: string;
  saved: string;
  message: string;
  once: string;
  log: string;
}

const pathsOf = (home: string): Paths => ({
  home,
  forward: join(home, '.forward'),
  saved: join(home, SAVED_NAME),
  message: join(home, '.vacation.msg'),
  once: join(home, '.vacation'),
  log: join(home, '.vacation.log'),
});

const USAGE =
  '$0 on|off|status [options]\n\n' +
  'Switch your vacation reply on and off, as vacation(1) is set up: "on" writes ~/.vacation.msg and a ~/.forward that ' +
  'keeps delivering your mail and pipes a copy into "autoreply vacation"; "off" puts your previous ~/.forward back.';

/** `autoreply vacation on|off|status ...` (argv starts with the subcommand); the exit code. */
export async function runVacationSwitch(argv: string[], deps: SwitchDeps = {}): Promise<number> {
  const out = deps.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  let chosen: { command: Command; args: Args } | undefined;
  const choose = (command: Command) => (args: Args) => {
    chosen = { command, args };
  };
  const user = (y: Argv) =>
    y.option('user', { type: 'string', requiresArg: true, describe: "root only: the user whose vacation this is (files stay that user's)" });
  const parser = (await subcommandParser(argv, 'autoreply vacation', USAGE, true))
    .command(
      'on',
      'switch the vacation reply on (again: new dates and aliases)',
      (y) =>
        user(y)
          .option('message', {
            type: 'string',
            requiresArg: true,
            describe: 'the reply text, from FILE ("-": standard input); default: standard input when it is not a terminal, else the ~/.vacation.msg there is, else a text naming you',
          })
          .option('start', { type: 'string', requiresArg: true, describe: 'answer only from this date (YYYY-MM-DD) or ISO date-time on' })
          .option('end', { type: 'string', requiresArg: true, describe: 'answer only up to this date or ISO date-time (inclusive)' })
          .option('alias', { type: 'string', array: true, requiresArg: true, describe: 'another address of yours: mail to it is personal too (repeatable)' }),
      choose('on'),
    )
    .command('off', 'switch it off: the previous ~/.forward back as it was (or none); the message, database and log stay', (y) => user(y), choose('off'))
    .command('status', 'on or off, since and until when, the message, how many correspondents were answered', (y) => user(y), choose('status'))
    .demandCommand(1, 'name a subcommand: on, off or status');

  const help = await parseCommand(parser, argv);
  if (help !== undefined) {
    process.stdout.write(help);
    return EXIT.OK;
  }
  if (!chosen) throw usageError('name a subcommand: on, off or status');
  const { command, args } = chosen;
  if ((args._ as unknown[]).length > 1) throw usageError(`unexpected argument: ${String((args._ as unknown[])[1])}`);

  // this program's path before anything else changes (it is absolute already: node resolves argv[1])
  const program = deps.program ?? resolve(process.argv[1] ?? '');
  const account = deps.account ?? actAs(typeof args.user === 'string' ? args.user : undefined);
  const paths = pathsOf(account.home);
  if (!exists(account.home)) throw configError(`${account.name}'s home folder ${account.home} does not exist`);
  const ctx: Run = { args, account, paths, program, now: deps.now ?? new Date(), out, err: deps.err ?? ((l) => process.stderr.write(`${l}\n`)), deps };
  switch (command) {
    case 'on':
      return switchOn(ctx);
    case 'off':
      return switchOff(ctx);
    case 'status':
      return status(ctx);
  }
}

/** The account for --user (or the real user), and the process becomes it. */
function actAs(user: string | undefined): Account {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const account = accountFor(user, uid);
  becomeUser(account);
  try {
    process.chdir(account.home);
  } catch {
    // checked by the caller, with a better message
  }
  return account;
}

interface Run {
  args: Args;
  account: Account;
  paths: Paths;
  program: string;
  now: Date;
  out: (line: string) => void;
  err: (line: string) => void;
  deps: SwitchDeps;
}

/** A plan, or the refusal as exit 78. */
function planned<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof ForwardRefusal) throw configError(err.message);
    throw err;
  }
}

async function switchOn(r: Run): Promise<number> {
  const { args, account, paths } = r;
  if (!isSafeWord(account.name)) throw configError(`the user name ${JSON.stringify(account.name)} cannot be written into .forward as it is`);
  const start = dateArg(args.start, 'start');
  const end = dateArg(args.end, 'end');
  const { parseScheduleBound } = await import('../../rules/schedule-parse.js');
  const startAt = start === undefined ? undefined : parseScheduleBound(start, 'start');
  const endAt = end === undefined ? undefined : parseScheduleBound(end, 'end');
  if (endAt && endAt.getTime() < r.now.getTime()) throw usageError(`--end ${end}: that is over (${when(endAt)})`);
  if (startAt && endAt && startAt.getTime() > endAt.getTime()) throw usageError(`--start ${start} is after --end ${end}`);
  const aliases = aliasesOf(args.alias);
  checkProgram(r.program, account);
  const settings: VacationSettings = { program: r.program, aliases, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
  // Postfix reads .forward lines of up to line_length_limit (2048) bytes
  if (commandLine(settings).length > 1500) throw usageError('the .forward command would be too long: fewer --alias, please');

  const current = readRegular(paths.forward);
  const saved = readRegular(paths.saved);
  const plan = planned(() => planOn({ current: current?.text, saved: saved?.text, user: account.name, settings, now: r.now, forwardName: paths.forward }));

  // the text first: once ~/.forward is written, mail may arrive
  const msg = chooseMessage(r, endAt && end ? { at: endAt, dateOnly: !end.includes('T') } : undefined);
  if (msg.text !== undefined) writeAtomically(paths.message, msg.text, msg.mode);
  for (const p of expansionProblems(msg.text ?? readRegular(paths.message)?.text ?? bytes(''), account.home, account.name)) {
    r.err(`autoreply: warning: ${paths.message} line ${p.line} does not expand (${p.problem}): it is sent as written`);
  }
  if (plan.saveCurrent && saved === undefined) keepAs(paths.forward, paths.saved, current!);
  // forward-file.ts works on plain strings: the old file's bytes and our lines
  // (ASCII, but for the user's name and settings as given), written one char per byte as before
  writeAtomically(paths.forward, bytes(plan.forward), current ? current.mode & 0o644 : 0o644);

  const since = new Date(plan.since);
  r.out(plan.update ? `vacation still on for ${account.name} (since ${when(since)}): settings replaced` : `vacation on for ${account.name} since ${when(since)}`);
  r.out(line('replies', startAt || endAt ? spanText(startAt, endAt) : 'until "autoreply vacation off"'));
  if (aliases.length > 0) r.out(line('aliases', aliases.join(', ')));
  r.out(line('message', `${paths.message}: ${msg.how}`));
  r.out(
    line(
      '.forward',
      plan.previous === 'saved'
        ? `${paths.forward} keeps your previous deliveries and pipes a copy into autoreply; the previous one is ${paths.saved} and comes back with "autoreply vacation off"`
        : `${paths.forward} delivers to your mailbox (\\${account.name}) and pipes a copy into autoreply; "autoreply vacation off" removes it`,
    ),
  );
  return EXIT.OK;
}

function spanText(start: Date | undefined, end: Date | undefined): string {
  if (start && end) return `from ${when(start)} until ${when(end)}`;
  return start ? `from ${when(start)} on, until "autoreply vacation off"` : `until ${when(end!)}`;
}

/** --start / --end as written into the command: trimmed, a space before the time made a T. */
function dateArg(v: unknown, which: 'start' | 'end'): string | undefined {
  if (v === undefined) return undefined;
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).trim().replace(/^(\d{4}-\d\d-\d\d) (?=\d)/, '$1T');
  if (!isSafeWord(s)) throw usageError(`--${which} ${JSON.stringify(s)} is not a date (YYYY-MM-DD) or an ISO date-time (YYYY-MM-DDTHH:MM[:SS][zone])`);
  return s;
}

function aliasesOf(v: unknown): string[] {
  const list = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((a) => String(a).trim()).filter((a) => a !== '');
  for (const a of list) {
    if (!/^[^@\s]+@[^@\s]+$/.test(a) || !isSafeWord(a)) throw usageError(`--alias ${JSON.stringify(a)}: give a plain address, like carol@example.org`);
  }
  return list;
}

/**
 * The program path goes into ~/.forward unquoted and the MTA runs it as the
 * user with a minimal PATH (Exim's pipe: /bin:/usr/bin; Postfix local(8):
 * /usr/bin:/bin); a program that does not start there would bounce mail.
 */
function checkProgram(program: string, account: Account): void {
  if (!program.startsWith('/') || !isSafeWord(program)) {
    throw configError(`this program's path ${JSON.stringify(program)} cannot be written into .forward (it has spaces or quotes): install autoreply under a plain path`);
  }
  if (/\.[cm]?[jt]s$/.test(program)) throw configError(`${program} is not the autoreply program: run the installed bin/autoreply, whose path goes into .forward`);
  const r = spawnSync(program, ['--version'], { env: { PATH: '/usr/bin:/bin', HOME: account.home }, cwd: account.home, encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) {
    const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`;
    throw configError(`${program} does not start as the MTA will run it (as ${account.name}, PATH=/usr/bin:/bin): ${why}`);
  }
}

/** The reply text `on` writes (undefined: keep ~/.vacation.msg as it is), with its mode and how it was chosen. */
function chooseMessage(r: Run, end: { at: Date; dateOnly: boolean } | undefined): { text?: ByteString; mode: number; how: string } {
  const existing = readRegular(r.paths.message);
  const mode = existing ? existing.mode & 0o644 : 0o644;
  const given = r.args.message;
  if (given !== undefined) {
    const file = String(Array.isArray(given) ? given[given.length - 1] : given);
    const data = file === '-' ? (readStdin(r) ?? Buffer.alloc(0)) : readMessageFile(file);
    return { text: usableText(data, file === '-' ? 'standard input' : file), mode, how: `written from ${file === '-' ? 'standard input' : file}` };
  }
  const input = readStdin(r);
  if (input !== undefined && fromBuffer(input).trim() !== '') {
    return { text: usableText(input, 'standard input'), mode, how: 'written from standard input' };
  }
  if (existing) return { mode, how: `kept as it was ("${firstLine(existing.text)}")` };
  const text = defaultMessage({ fullName: r.account.fullName, name: r.account.name, ...(end ? { end } : {}) });
  return { text, mode, how: `written from the default text ("${firstLine(text)}"); edit it to say more` };
}

function readStdin(r: Run): Buffer | undefined {
  if (r.deps.stdin) return r.deps.stdin();
  if (process.stdin.isTTY) return undefined;
  try {
    return readFileSync(0);
  } catch {
    return undefined;
  }
}

function readMessageFile(file: string): Buffer {
  try {
    return readFileCapped(file);
  } catch (err) {
    if (err instanceof FileTooLargeError) throw dataError(`--message ${file}: larger than ${err.limit / (1024 * 1024)} MiB`);
    throw usageError(`--message ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function usableText(data: Buffer, from: string): ByteString {
  if (data.includes(0)) throw dataError(`the message text from ${from} holds NUL bytes: it is not text`);
  const text = fromBuffer(data);
  if (text.trim() === '') throw dataError(`the message text from ${from} is empty`);
  return text;
}

function switchOff(r: Run): number {
  const { paths, account } = r;
  const current = readRegular(paths.forward);
  const saved = readRegular(paths.saved);
  const plan = planned(() => planOff({ current: current?.text, saved: saved?.text, user: account.name, forwardName: paths.forward }));
  switch (plan.action) {
    case 'restore':
      moveOver(paths.saved, paths.forward);
      r.out(`vacation off for ${account.name}${plan.since ? ` (on since ${when(new Date(plan.since))})` : ''}`);
      r.out(line('.forward', `${paths.forward} is back as it was before${plan.note ? ` (${plan.note})` : ''}`));
      break;
    case 'remove':
      remove(paths.forward);
      r.out(`vacation off for ${account.name} (on since ${when(new Date(plan.since))})`);
      r.out(line('.forward', `${paths.forward} removed (there was none before)`));
      break;
    case 'none':
      if (plan.removeSaved) remove(paths.saved);
      r.out(`vacation is off already for ${account.name}: nothing changed`);
      break;
  }
  const kept = [paths.message, paths.once, paths.log].filter(exists);
  if (kept.length > 0) r.out(line('kept', `${kept.join(', ')} ("autoreply vacation status" shows whom it answered)`));
  return EXIT.OK;
}

async function status(r: Run): Promise<number> {
  const { paths, account } = r;
  let forwardNote: string | undefined;
  let current: ReadFile | undefined;
  let saved: ReadFile | undefined;
  try {
    current = readRegular(paths.forward);
    saved = readRegular(paths.saved);
  } catch (err) {
    if (!(err instanceof AutoreplyError)) throw err;
    forwardNote = err.message;
  }
  let forward: ForwardState = { state: 'off' };
  const ours = current === undefined ? undefined : readOurs(current.text);
  if (ours) {
    forward = { state: 'on', since: new Date(ours.since), settings: ours.settings, previous: ours.saved ? 'saved' : 'none', consistent: ours.consistent(saved?.text, account.name) };
  } else if (current !== undefined) {
    const examined = examineForward(current.text);
    if (!examined.ok && examined.autoreply) forward = { state: 'by-hand' };
  } else if (saved !== undefined && forwardNote === undefined) {
    forward = { state: 'saved-only' };
  }
  const schedule: { start?: Date; end?: Date } = {};
  if (forward.state === 'on') {
    const { parseScheduleBound } = await import('../../rules/schedule-parse.js');
    for (const which of ['start', 'end'] as const) {
      const v = forward.settings[which];
      try {
        if (v !== undefined) schedule[which] = parseScheduleBound(v, which);
      } catch {
        // not a date: shown as it is by the .forward line
      }
    }
  }
  let message: string | undefined;
  try {
    const m = readRegular(paths.message);
    message = m === undefined ? undefined : firstLine(m.text);
  } catch (err) {
    message = `unreadable: ${(err as Error).message}`;
  }
  const answered = await answeredFrom(paths.once, forward.state === 'on' ? forward.since : undefined, r.deps.env ?? process.env);
  for (const l of statusLines({ now: r.now, forward, schedule, paths, answered, ...(message !== undefined ? { message } : {}) })) r.out(l);
  if (forwardNote) r.out(line('.forward', forwardNote));
  return EXIT.OK;
}

/** Whom the once database says was answered (all, and since `since`). */
async function answeredFrom(once: string, since: Date | undefined, env: NodeJS.ProcessEnv): Promise<Answered> {
  if (!exists(once)) return { kind: 'none' };
  try {
    const { openOnceStore } = await import('../../once/open.js');
    const store = await openOnceStore(fromText(once), { mode: 0o600, timeoutMs: 5000, env });
    try {
      let correspondents = 0;
      let sinceOn = 0;
      let replies = 0;
      let last = 0;
      for await (const e of store.entries('any', undefined)) {
        correspondents++;
        replies += e.count;
        last = Math.max(last, e.lastReply);
        if (since && e.lastReply >= since.getTime()) sinceOn++;
      }
      return { kind: 'entries', correspondents, replies, ...(since ? { sinceOn } : {}), ...(last > 0 ? { last: new Date(last) } : {}) };
    } finally {
      await store.close();
    }
  } catch (err) {
    return { kind: 'error', reason: (err as Error).message };
  }
}
