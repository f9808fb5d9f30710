/**
 * The ~/.forward that `autoreply vacation on` writes and `off` takes back, as
 * pure functions over the file's bytes (byte strings, one char per byte, so that
 * a previous file goes back exactly as it was, whatever its charset or line
 * endings). switch.ts does the reading and writing.
 *
 * The file written is a plain .forward, not an Exim filter: Exim (Debian's
 * default `userforward` router) and Postfix's local(8) both read it.
 *
 *   # autoreply vacation on since 2026-07-12T08:03:00Z; "autoreply vacation off" ...
 *   <the previous .forward, byte for byte, when there was one>
 *   \carol, "|/usr/local/bin/autoreply vacation --fire-and-forget --end 2026-07-26"
 *
 *  - The first line marks the file as ours and says since when it is on. Both
 *    MTAs skip lines starting with `#` (it is not "# Exim filter", which would
 *    make Exim read the file as a filter).
 *  - `\carol` keeps delivering to the mailbox (the backslash: no further
 *    forwarding; Exim qualifies it with the incoming domain). It is written only
 *    when the previous file delivered nowhere (none, empty, comments only); a
 *    previous file's own deliveries stay as they were — with `\carol` if it had
 *    it, without if the user's mail went elsewhere only.
 *  - The pipe runs `autoreply vacation` as the user, with the dates and aliases
 *    given to `on`, and --fire-and-forget: a failed reply is logged to
 *    ~/.vacation.log and never defers or bounces the real mail (under Postfix a
 *    failing .forward pipe defers the whole recipient, and the retry delivers
 *    the mailbox copy again; under Exim a 78 bounces the message to its sender).
 *  - The previous file is kept as ~/.forward.autoreply-saved; `off` puts it back
 *    (rename: same bytes, mode and owner), or removes ~/.forward when there was
 *    none.
 *
 * A previous .forward is combined only when every item in it is an address or a
 * file/folder delivery; anything else is refused (see examineForward).
 */

/** Where the previous ~/.forward is kept while the vacation is on. */
export const SAVED_NAME = '.forward.autoreply-saved';

/** What `on` records in the pipe command (the delivery's options). */
export interface VacationSettings {
  /** Absolute path of the autoreply program the MTA runs. */
  program: string;
  /** --start / --end as given (normalised: a space between date and time becomes T). */
  start?: string;
  end?: string;
  /** --alias: other addresses of the user (the not-personal rule). */
  aliases: string[];
}

const MARKER = /^# autoreply vacation on since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ); /;
const MARKER_SAVED = '"autoreply vacation off" puts back the previous .forward, saved as ' + SAVED_NAME;
const MARKER_NONE = '"autoreply vacation off" removes this file (there was no .forward before)';

/** Characters a command-line word we write may hold: no quoting needed for Exim, Postfix or a shell (no ~ either: sh would expand it at the start of a word). */
const SAFE_WORD = /^[A-Za-z0-9_./+@%=:,-]+$/;

/** Is `word` safe to write into the pipe command unquoted? */
export const isSafeWord = (word: string): boolean => SAFE_WORD.test(word);

/** The time as the marker line writes it (UTC, seconds). */
export function markerTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The pipe command: `PROGRAM vacation --fire-and-forget [--start S] [--end E] [--alias A]...`. */
export function commandLine(s: VacationSettings): string {
  const words = [s.program, 'vacation', '--fire-and-forget'];
  if (s.start !== undefined) words.push('--start', s.start);
  if (s.end !== undefined) words.push('--end', s.end);
  for (const a of s.aliases) words.push('--alias', a);
  for (const w of words) if (!isSafeWord(w)) throw new Error(`unsafe word in the .forward command: ${JSON.stringify(w)}`);
  return words.join(' ');
}

/** The settings of a command line commandLine() wrote; undefined for anything else. */
export function parseCommandLine(line: string): VacationSettings | undefined {
  const words = line.split(' ');
  if (words.length < 3 || words[1] !== 'vacation' || words[2] !== '--fire-and-forget' || !words[0]!.startsWith('/')) return undefined;
  const s: VacationSettings = { program: words[0]!, aliases: [] };
  for (let i = 3; i < words.length; i += 2) {
    const flag = words[i];
    const value = words[i + 1];
    if (value === undefined || value === '' || !isSafeWord(value)) return undefined;
    // any order or repetition is read; readOurs' comparison with what on writes finds it
    if (flag === '--start') s.start = value;
    else if (flag === '--end') s.end = value;
    else if (flag === '--alias') s.aliases.push(value);
    else return undefined;
  }
  return s;
}

/** One item of a .forward (an address, a file, a pipe, :include:...), as the MTA would see it. */
export interface ForwardItem {
  /** The item with surrounding quotes removed. */
  value: string;
  kind: 'address' | 'file' | 'pipe' | 'include' | 'special';
  line: number;
}

/** What examineForward finds in a file that is not ours. */
export type Examined =
  | { ok: true; items: ForwardItem[]; /** The file delivers somewhere (at least one item). */ delivers: boolean; crlf: boolean }
  | { ok: false; reason: string; /** The file pipes into autoreply (written by hand). */ autoreply?: true };

/**
 * Can a .forward (not ours) be combined with the vacation pipe? It can when its
 * items are addresses (`\user`, `user`, `user@domain`) and file or folder
 * deliveries (`/path`), in any number, with comments and blank lines. Refused,
 * with the reason (the caller names the file):
 *  - an Exim or Sieve filter (first line `# Exim filter` / `# Sieve filter`):
 *    its own language; the user adds `unseen pipe "... vacation"` to it;
 *  - a pipe (`|command`): the program may file, drop or answer the mail
 *    (procmail, maildrop, vacation(1), a spam filter): a second auto-responder
 *    or replies to mail it drops cannot be ruled out. A pipe into autoreply is
 *    a vacation set up by hand;
 *  - `:include:` (the deliveries are in another file), `:blackhole:`, `:fail:`,
 *    `:defer:` (Exim's: the mail is dropped or refused);
 *  - what the MTAs may read differently: an unterminated quote, a `#` after an
 *    item on the same line (Exim: part of an address; sendmail: a comment), a
 *    `#` line that does not start in the first column (Exim: a comment;
 *    Postfix, which skips only lines starting with `#`: an address), a carriage
 *    return that does not end a line, NUL bytes.
 */
export function examineForward(text: string): Examined {
  if (text.includes('\0')) return { ok: false, reason: 'is not a text file (it holds NUL bytes)' };
  if (/\r(?!\n)/.test(text)) return { ok: false, reason: 'has a carriage return that does not end a line (the MTAs may read it differently)' };
  const firstLine = /^\s*([^\n]*)/.exec(text)?.[1] ?? '';
  const filter = /^#\s*(exim|sieve)\s+filter/i.exec(firstLine);
  if (filter) {
    const name = filter[1]!.toLowerCase() === 'exim' ? 'an Exim filter' : 'a Sieve filter';
    return { ok: false, reason: `is ${name} ("${firstLine.trim()}"), which autoreply does not edit` };
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const items: ForwardItem[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.startsWith('#') || /^\s*$/.test(line)) continue;
    if (/^\s+#/.test(line)) {
      return { ok: false, reason: `line ${n + 1}: a comment that does not start the line (Exim skips it, Postfix reads it as an address)` };
    }
    const split = splitItems(line);
    if (typeof split === 'string') return { ok: false, reason: `line ${n + 1}: ${split}` };
    for (const raw of split) {
      const value = /^"([^"\\]|\\.)*"$/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      items.push({ value, kind: kindOf(value), line: n + 1 });
    }
  }
  for (const item of items) {
    const shown = JSON.stringify(item.value);
    switch (item.kind) {
      case 'pipe':
        if (/[\s/|]autoreply\s/.test(`${item.value} `)) {
          return { ok: false, autoreply: true, reason: `already pipes mail into autoreply (${shown}, line ${item.line}), not written by "autoreply vacation on"` };
        }
        return {
          ok: false,
          reason: `pipes mail into a program (${shown}, line ${item.line}) that may file, drop or answer it: autoreply cannot tell how to combine with it`,
        };
      case 'include':
        return { ok: false, reason: `includes another file (${shown}, line ${item.line}): autoreply cannot see where that sends your mail` };
      case 'special':
        return { ok: false, reason: `has ${shown} (line ${item.line}), which drops or refuses mail` };
      default:
    }
  }
  return { ok: true, items, delivers: items.length > 0, crlf: text.includes('\r\n') };
}

function kindOf(value: string): ForwardItem['kind'] {
  if (value.startsWith('|')) return 'pipe';
  if (/^:include:/i.test(value)) return 'include';
  if (/^:[a-z]+:/i.test(value)) return 'special';
  if (value.startsWith('/') || value.startsWith('~/')) return 'file';
  return 'address';
}

/**
 * The comma-separated items of one line, or why the line is ambiguous. Quoted
 * strings may hold commas (`"|prog a, b"`, `"carol smith"@example.org`, a display
 * name); an item that is one quoted string keeps its quotes (the caller removes them).
 */
function splitItems(line: string): string[] | string {
  const items: string[] = [];
  let item = '';
  let quoted = false;
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === undefined) return 'a quoted item without its closing quote';
      if (c === '\\' && i + 1 < line.length) {
        item += c + line[++i];
        continue;
      }
      if (c === '"') quoted = false;
      item += c;
      continue;
    }
    if (c === undefined || c === ',') {
      const v = item.trim();
      if (v !== '') items.push(v);
      item = '';
      continue;
    }
    if (c === '"') quoted = true;
    if (c === '#') return `a "#" after an item ("${(item + line.slice(i)).trim()}": Exim reads it as part of an address, sendmail as a comment)`;
    item += c;
  }
  return items;
}

/** What the marker and pipe line of a file we wrote say. */
export interface Ours {
  since: string;
  settings: VacationSettings;
  /** The marker says a previous .forward was saved. */
  saved: boolean;
}

/** The facts of a file that starts with our marker line; undefined when it does not. */
export function readOurs(text: string): (Ours & { consistent: (saved: string | undefined, user: string) => boolean }) | undefined {
  const first = text.slice(0, text.indexOf('\n') + 1 || text.length).replace(/\r?\n$/, '');
  const m = MARKER.exec(first);
  if (!m) return undefined;
  const saved = first.endsWith(MARKER_SAVED);
  const lines = text.replace(/\r?\n$/, '').split('\n');
  const last = lines[lines.length - 1]!.replace(/\r$/, '');
  const pipe = /"\|([^"]*)"$/.exec(last);
  const settings = pipe ? parseCommandLine(pipe[1]!) : undefined;
  const ours = { since: m[1]!, saved, settings: settings ?? { program: '', aliases: [] } };
  return {
    ...ours,
    // the file is exactly what `on` wrote from the saved file (or none) and these settings
    consistent: (savedText, user) =>
      settings !== undefined && saved === (savedText !== undefined) && renderForward({ user, previous: savedText, settings, since: m[1]! }) === text,
  };
}

/**
 * The .forward `on` writes: the marker, the previous file verbatim (a line end
 * added when its last line has none), the pipe — with `\USER, ` in front when
 * the previous file delivered nowhere. Line ends follow the previous file's
 * (CRLF when it used CRLF).
 */
export function renderForward(p: { user: string; previous: string | undefined; settings: VacationSettings; since: string }): string {
  const { previous } = p;
  const examined = previous === undefined ? undefined : examineForward(previous);
  const eol = examined?.ok && examined.crlf ? '\r\n' : '\n';
  const marker = `# autoreply vacation on since ${p.since}; ${previous === undefined ? MARKER_NONE : MARKER_SAVED}`;
  const body = previous === undefined || previous === '' || previous.endsWith('\n') ? (previous ?? '') : previous + eol;
  const delivers = examined?.ok === true && examined.delivers;
  const pipe = `"|${commandLine(p.settings)}"`;
  return `${marker}${eol}${body}${delivers ? '' : `\\${p.user}, `}${pipe}${eol}`;
}

/** A refusal: the reason is one line; the caller turns it into exit 78. */
export class ForwardRefusal extends Error {}

/** What `on` must do to the files. */
export interface OnPlan {
  /** The new ~/.forward. */
  forward: string;
  /** Save the current ~/.forward as ~/.forward.autoreply-saved first. */
  saveCurrent: boolean;
  /** It was on already: the settings are replaced, the saved file stays. */
  update: boolean;
  since: string;
  /** What the user's mail keeps doing besides the reply. */
  previous: 'none' | 'saved';
}

/**
 * `on`: from the current ~/.forward and ~/.forward.autoreply-saved (undefined:
 * no such file) to the files to write. Throws ForwardRefusal when it cannot be
 * done without losing something. `forwardName` names the file in messages.
 */
export function planOn(p: {
  current: string | undefined;
  saved: string | undefined;
  user: string;
  settings: VacationSettings;
  now: Date;
  forwardName: string;
}): OnPlan {
  const { current, saved, forwardName } = p;
  const savedName = `${forwardName}${SAVED_NAME.slice('.forward'.length)}`;
  if (current !== undefined) {
    const ours = readOurs(current);
    if (ours) {
      if (!ours.consistent(saved, p.user)) throw new ForwardRefusal(editedSince(forwardName, savedName, ours.saved));
      // on again: new settings, the same saved file, the same "since"
      const forward = renderForward({ user: p.user, previous: saved, settings: p.settings, since: ours.since });
      return { forward, saveCurrent: false, update: true, since: ours.since, previous: saved === undefined ? 'none' : 'saved' };
    }
  }
  // a saved file without our .forward: left by an `on` that was interrupted (then
  // it equals the current file), else by hand; never overwritten
  if (saved !== undefined && current === undefined) {
    throw new ForwardRefusal(`${savedName} exists but there is no ${forwardName}: "autoreply vacation off" puts it back`);
  }
  if (saved !== undefined && saved !== current) {
    throw new ForwardRefusal(
      `${savedName} exists but ${forwardName} was not written by "autoreply vacation on": ` +
        `it may hold your previous forwarding; put it back or remove it yourself`,
    );
  }
  const since = markerTime(p.now);
  if (current === undefined) {
    return { forward: renderForward({ user: p.user, previous: undefined, settings: p.settings, since }), saveCurrent: false, update: false, since, previous: 'none' };
  }
  const examined = examineForward(current);
  if (!examined.ok) throw new ForwardRefusal(`${forwardName} ${examined.reason}`);
  return { forward: renderForward({ user: p.user, previous: current, settings: p.settings, since }), saveCurrent: true, update: false, since, previous: 'saved' };
}

function editedSince(forwardName: string, savedName: string, saved: boolean): string {
  return (
    `${forwardName} was changed since "autoreply vacation on" wrote it: edit it yourself ` +
    (saved ? `(your previous .forward is ${savedName})` : '(there was no .forward before)')
  );
}

/** What `off` must do. */
export type OffPlan =
  /** Rename ~/.forward.autoreply-saved to ~/.forward. */
  | { action: 'restore'; since?: string; note?: string }
  /** Remove ~/.forward (there was none before). */
  | { action: 'remove'; since: string }
  /** Nothing to undo; `removeSaved`: a leftover copy of the current file goes. */
  | { action: 'none'; removeSaved: boolean };

/** `off`: from the current ~/.forward and the saved one to what to do; ForwardRefusal when it cannot. */
export function planOff(p: { current: string | undefined; saved: string | undefined; user: string; forwardName: string }): OffPlan {
  const { current, saved, forwardName } = p;
  const savedName = `${forwardName}${SAVED_NAME.slice('.forward'.length)}`;
  if (current === undefined) {
    if (saved === undefined) return { action: 'none', removeSaved: false };
    return { action: 'restore', note: `${forwardName} had been removed; the saved one is back` };
  }
  const ours = readOurs(current);
  if (ours) {
    if (!ours.consistent(saved, p.user)) {
      if (!ours.saved && saved !== undefined) {
        throw new ForwardRefusal(`${savedName} exists although ${forwardName} says there was no .forward before: sort them out yourself`);
      }
      throw new ForwardRefusal(editedSince(forwardName, savedName, ours.saved));
    }
    return ours.saved ? { action: 'restore', since: ours.since } : { action: 'remove', since: ours.since };
  }
  if (saved !== undefined) {
    if (saved === current) return { action: 'none', removeSaved: true };
    throw new ForwardRefusal(
      `${forwardName} was not written by "autoreply vacation on" but ${savedName} exists: it may hold your previous forwarding; put it back or remove it yourself`,
    );
  }
  const examined = examineForward(current);
  if (!examined.ok && examined.autoreply) throw new ForwardRefusal(`${forwardName} ${examined.reason}: remove that item yourself`);
  return { action: 'none', removeSaved: false };
}
