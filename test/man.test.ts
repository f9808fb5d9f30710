/**
 * man/autoreply.1 is a real manual page: it renders without warnings, has the
 * usual sections, and documents every option the program accepts (taken from
 * the --help output of each command, so that a new option without a line in
 * the manual fails this test).
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runText } from './helpers/exec.js';

const PROJECT = resolve(import.meta.dirname, '..');
const PAGE = join(PROJECT, 'man/autoreply.1');
const source = readFileSync(PAGE, 'utf8');

/** The page as text: font changes removed, \- as -, \e as \. */
const text = source
  .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
  .replace(/\\-/g, '-')
  .replace(/\\e/g, '\\')
  .replace(/\\\(aq/g, "'")
  .replace(/\\&/g, '');

// tap puts its loader into NODE_OPTIONS of every child: run the program without it
const help = (...args: string[]) => {
  const r = runText(process.execPath, [join(PROJECT, 'bin/autoreply'), ...args, '--help'], { env: { NODE_OPTIONS: undefined }, extendEnv: true, timeout: 20000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

/** Option names of a yargs --help text: the "--name, --other_name" at the start of a line. */
function optionsOf(out: string): string[] {
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^\s+((?:--[a-z][\w-]*(?:, )?)+)/.exec(line);
    if (!m) continue;
    for (const o of m[1]!.split(', ')) names.add(o.trim().slice(2));
  }
  return [...names];
}

const documented = (name: string) => new RegExp(`(^|[^\\w-])--${name.replace(/[-_]/g, (c) => `\\${c}`)}([^\\w-]|$)`, 'm').test(text);

t.test('sections', async (t) => {
  for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXPANSION', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES', 'SEE ALSO']) {
    t.match(source, new RegExp(`^\\.SH "?${s}"?$`, 'm'), `section ${s}`);
  }
  t.match(source, /^\.TH AUTOREPLY 1 /m, '.TH line, section 1');
});

t.test('the package installs the page', async (t) => {
  const pkg = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { man?: string[] | string; files?: string[] };
  t.ok([pkg.man].flat().includes('man/autoreply.1'), 'package.json "man" lists man/autoreply.1');
  t.ok(pkg.files?.includes('man'), 'package.json "files" ships man/');
});

const tool = (name: string) => runText('sh', ['-c', `command -v ${name}`]).status === 0;

t.test('renders cleanly', { skip: !tool('groff') && 'groff is not installed' }, async (t) => {
  const g = runText('groff', ['-ww', '-man', '-z', PAGE]);
  t.equal(g.status, 0, 'groff exit status');
  t.equal(g.stderr, '', 'groff -ww -man -z: no warnings');
  if (tool('man')) {
    const m = runText('man', ['--warnings', '-l', PAGE], { env: { MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' }, extendEnv: true });
    t.equal(m.status, 0, 'man exit status');
    t.equal(m.stderr, '', 'man --warnings -l: no warnings');
    t.match(m.stdout, /autoreply\s+-\s+answer\s+incoming\s+mail\s+automatically/, 'NAME line renders');
    t.notMatch(m.stdout, /^\s*\.[A-Z][A-Za-z]?(\s|$)/m, 'no roff request leaked into the rendered text');
  }
});

t.test('every option is documented', async (t) => {
  const commands: string[][] = [[], ['vacation'], ['vacation', 'on'], ['vacation', 'off'], ['vacation', 'status'], ['check'], ['once']];
  const once = help('once');
  t.equal(once.status, 0, 'autoreply once --help', { stderr: once.err });
  const subcommands = [...once.out.matchAll(/^\s+autoreply once (\w+)/gm)].map((m) => m[1]!);
  t.ok(subcommands.length >= 7, `once subcommands: ${subcommands.join(' ')}`);
  for (const s of subcommands) {
    t.ok(new RegExp(`\\b${s}\\b`).test(text), `once ${s} is named in the page`);
    commands.push(['once', s]);
  }
  const seen = new Set<string>();
  for (const args of commands) {
    const h = help(...args);
    t.equal(h.status, 0, `autoreply ${args.join(' ')} --help exits 0`, { stderr: h.err });
    const names = optionsOf(h.out);
    t.ok(names.length > 0 || args[0] === 'once', `autoreply ${args.join(' ')} --help lists options`);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      // the Exim spelling (once_repeat) is an alias of the documented --once-repeat
      const shown = name.includes('_') ? name.replace(/_/g, '-') : name;
      t.ok(documented(shown), `--${name} is documented (autoreply ${args.join(' ')})`);
    }
  }
  t.ok(seen.size >= 40, `${seen.size} options checked`);
});

t.test('exit statuses are documented', async (t) => {
  const section = text.slice(text.search(/^\.SH "?EXIT STATUS/m), text.search(/^\.SH "?ENVIRONMENT/m));
  t.ok(section.length > 100, 'an EXIT STATUS section');
  for (const code of ['0', '64', '65', '75', '78']) t.match(section, new RegExp(`^\\.B ${code}$`, 'm'), `exit ${code}`);
});

t.test('the examples it names exist', async (t) => {
  for (const f of ['examples/vacation.conf', 'examples/message.eml']) {
    t.ok(text.includes(f), `${f} is named`);
    t.ok(existsSync(join(PROJECT, f)), `${f} exists`);
  }
});
