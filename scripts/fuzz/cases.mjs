// Case generators. A case is plain data: the argv, the environment, stdin and
// the files to create, with paths written as @CASE@/... (the case directory,
// filled in when the case runs, and by repro.sh when it is replayed).
//
// Kinds:
//   message    a mutated seed message, through one of the usual configurations
//   garbage    random bytes and other non-mail on stdin
//   expansion  random / deeply nested / broken expansion strings in options
//   options    random combinations of flags and values, reply files, mailboxes,
//              once databases in odd states
//   commands   autoreply check / once ... subcommands
//
// Safety (the fuzzer runs as whoever starts it, possibly root, on a machine whose
// /usr/sbin/sendmail may be a real MTA):
//   - every transport run gets exactly one --sendmail, the first option, naming
//     the stand-in in the case directory (assertSafe() checks it);
//   - HOME and --home always point into the case directory;
//   - path options (once, log, file, mailbox, reply file) are literal case
//     paths or expansions of harmless data; random expansions never go there.
import { Rng } from './rng.mjs';
import { mutatedMessage, garbage, loadSeeds, MUTATORS, splitMessage } from './messages.mjs';
import { expansion, deepNest, catastrophic, readfileBomb, randomChars, condition, variable } from './expansions.mjs';

export const CASE = '@CASE@';
const RUN = `${CASE}/run`;
export const KINDS = ['message', 'garbage', 'expansion', 'options', 'commands'];
const KIND_WEIGHTS = [[34, 'message'], [10, 'garbage'], [30, 'expansion'], [20, 'options'], [6, 'commands']];
export const EXIT_OK = [0, 64, 65, 75, 78];
/** Longest argv element we pass; longer values go into a --config file (Linux: 128 KiB per argument). */
const MAX_ARG = 100000;

const RULES = ['bounce', 'auto-submitted', 'auto-reply-subject', 'list', 'bulk', 'daemon', 'self', 'not-personal', 'loop',
  'spam', 'too-many-recipients', 'schedule', 'auth-fail', 'rate'];

const enc = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

class CaseBuilder {
  constructor(index, kind, rng) {
    this.index = index;
    this.id = `c${String(index).padStart(6, '0')}`;
    this.kind = kind;
    this.rng = rng;
    this.command = 'transport';
    this.pre = []; // subcommand words
    this.sendmailArgs = [];
    this.args = [];
    this.env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: `${RUN}/home` };
    this.stdin = Buffer.alloc(0);
    this.files = [{ path: 'home', dir: true }];
    this.tags = [];
    this.heavy = false;
    this.mainTag = undefined;
    this.allowedExit = EXIT_OK;
    this.config = undefined; // [{name, value, raw?}] written as a --config file at the end
    this.flags = new Set();
  }

  tag(t, heavy = false) {
    this.tags.push(t);
    if (heavy) {
      this.heavy = true;
      this.mainTag = t;
    }
  }

  file(path, data, mode = 0o644) {
    this.files.push({ path, data: enc(data), mode });
    return `${RUN}/${path}`;
  }

  dir(path) {
    this.files.push({ path, dir: true });
    return `${RUN}/${path}`;
  }

  symlink(path, target) {
    this.files.push({ path, symlink: target });
    return `${RUN}/${path}`;
  }

  /** --name=value (or --name value when the value cannot look like a flag) */
  opt(name, value) {
    this.flags.add(name);
    if (value === undefined) this.args.push(`--${name}`);
    else if (this.rng.chance(0.3) && !String(value).startsWith('-') && value !== '') this.args.push(`--${name}`, String(value));
    else this.args.push(`--${name}=${value}`);
  }

  setting(name, value) {
    (this.config ??= []).push({ name, value });
  }

  finish() {
    if (this.config) {
      const text = configText(this.rng, this.config);
      this.args.unshift(`--config=${this.file('fuzz.conf', text)}`);
    }
    const c = {
      index: this.index,
      id: this.id,
      kind: this.kind,
      command: this.command,
      tags: this.tags,
      mainTag: this.mainTag ?? this.tags[0] ?? this.kind,
      heavy: this.heavy,
      argv: [...this.pre, ...this.sendmailArgs, ...this.args],
      env: this.env,
      stdin: this.stdin,
      files: this.files,
      allowedExit: this.allowedExit,
    };
    assertSafe(c);
    return c;
  }
}

/** The transport must never reach the real /usr/sbin/sendmail (see the top of this file). */
function assertSafe(c) {
  const argv = c.argv;
  const transport = c.command === 'transport' || c.command === 'vacation';
  const sm = argv.filter((a) => /^-+(no-?)?send[-_]?mail/i.test(a) || a.startsWith('--sendmail'));
  if (transport) {
    const first = c.command === 'vacation' ? 1 : 0;
    if (argv[first] !== '--sendmail' || !argv[first + 1].startsWith(`${RUN}/`) || sm.length !== 1) {
      throw new Error(`unsafe case ${c.id}: --sendmail must come first, once, naming the stand-in: ${JSON.stringify(argv.slice(0, 4))}`);
    }
    if (argv.indexOf('--') >= 0 && argv.indexOf('--') < first) throw new Error(`unsafe case ${c.id}: "--" before --sendmail`);
  }
  if (!c.env.HOME || !c.env.HOME.startsWith(CASE)) throw new Error(`unsafe case ${c.id}: HOME outside the case`);
  argv.forEach((a, i) => {
    const v = a === '--home' ? argv[i + 1] ?? '' : /^--home=/.test(a) ? a : CASE;
    if (!v.includes(CASE)) throw new Error(`unsafe case ${c.id}: --home outside the case`);
  });
}

/** Exim-style option file, with the odd syntax it allows (and some it does not). */
function configText(rng, settings) {
  const eol = rng.chance(0.1) ? '\r\n' : '\n';
  const lines = [];
  if (rng.chance(0.3)) lines.push('# fuzz configuration');
  if (rng.chance(0.2)) lines.push('autoreply:');
  if (rng.chance(0.2)) lines.push('  driver = autoreply');
  for (const { name, value } of settings) {
    if (rng.chance(0.05)) lines.push('');
    if (value === undefined) {
      lines.push(name);
      continue;
    }
    const v = String(value).replace(/\r?\n/g, ' ');
    const sep = rng.pick([' = ', '=', ' =', '  =  ', '\t=\t']);
    if (v.length > 40 && v.length < 20000 && rng.chance(0.15)) {
      // split over continuation lines (leading white space of a continuation is dropped)
      const cut = rng.int(1, v.length - 1);
      if (v[cut - 1] !== '\\' && v[cut] !== ' ') {
        lines.push(`${rng.chance(0.5) ? '  ' : ''}${name}${sep}${v.slice(0, cut)}\\`, `    ${v.slice(cut)}`);
        continue;
      }
    }
    lines.push(`${rng.chance(0.2) ? '  ' : ''}${name}${sep}${v}`);
  }
  if (rng.chance(0.05)) lines.push(rng.pick(['bogus_option = 1', 'to', '= value', 'text = unterminated \\', '.include /nonexistent', 'begin transports', 'sendmail_path = /bin/false', 'no_return_message', 'return_message = maybe', '\0']));
  return lines.join(eol) + (rng.chance(0.9) ? eol : '');
}

// ---------------------------------------------------------------- pieces

/** The stand-in for sendmail, and the --sendmail/--submit-timeout options for it. */
function sendmail(c) {
  const rng = c.rng;
  // A hanging stand-in costs a whole timeout when the program has no --submit-timeout: kept rare.
  const variant = rng.weighted([
    [85, 'ok'], [4, 'exit-1'], [3, 'exit-2'], [0.15, 'hang-after-read'], [0.1, 'hang-before-read'], [2, 'missing'],
    [1, 'not-executable'], [1, 'noisy-exit-1'], [1, 'exit-75'], [0.5, 'no-read'], [1, 'slow'],
  ]);
  const keep = 'd=$(dirname "$0")\nprintf \'%s\\n\' "$@" > "$d/sendmail.argv"\n';
  const body = {
    ok: `${keep}cat > "$d/sendmail.stdin"\nexit 0\n`,
    'exit-1': `${keep}cat > "$d/sendmail.stdin"\necho "sendmail: simulated failure" >&2\nexit 1\n`,
    'exit-2': `${keep}cat > "$d/sendmail.stdin"\necho "No recipients" >&2\nexit 2\n`,
    'exit-75': `${keep}cat > "$d/sendmail.stdin"\necho "queue busy" >&2\nexit 75\n`,
    'noisy-exit-1': `${keep}cat > "$d/sendmail.stdin"\nprintf 'line one\\nline two\\n\\033[31mred\\n' >&2\nhead -c 100000 /dev/zero | tr '\\0' x >&2\nexit 1\n`,
    'hang-after-read': `${keep}cat > "$d/sendmail.stdin"\nexec sleep 30\n`,
    'hang-before-read': `${keep}exec sleep 30\n`,
    'no-read': `${keep}exit 0\n`,
    slow: `${keep}sleep 1\ncat > "$d/sendmail.stdin"\nexit 0\n`,
    'not-executable': `${keep}cat > "$d/sendmail.stdin"\nexit 0\n`,
  }[variant];
  let path;
  if (variant === 'missing') path = `${RUN}/no-such-sendmail`;
  else path = c.file('sendmail', `#!/bin/sh\n# fuzz stand-in for sendmail (${variant}): keeps argv and stdin next to itself\n${body}`, variant === 'not-executable' ? 0o644 : 0o755);
  c.sendmailArgs = ['--sendmail', path];
  // SPEC: --submit-timeout kills a submission program still running (TERM, then KILL), exit 75.
  // Given only when the program has it (see features in fuzz.mjs); without it a hang lasts 30 s.
  if (variant.startsWith('hang') && c.features.submitTimeout) c.opt('submit-timeout', String(rng.int(1, 3)));
  if (variant !== 'ok') c.tag(`sendmail-${variant}`, variant.startsWith('hang'));
}

const SENDERS = ['alice@example.org', 'Alice@Example.ORG', '', 'MAILER-DAEMON@example.net', 'bob@example.com',
  'owner-dev@lists.example.org', 'x@y', '<>', '"quoted local"@example.org', 'a@b@c', 'caf\u00e9@example.fr', ' ', 'alice',
  '@example.org', 'alice@', `${'a'.repeat(300)}@example.org`, 'alice@example.org\nBcc: x@y.example'];
const RECIPIENTS = ['bob@example.com', 'Bob@EXAMPLE.com', 'bob+ext@example.com', '', 'bob', 'nobody@example.com',
  'bob@example.com, carol@example.com', `${'b'.repeat(300)}@example.com`, 'b\u00f6b@example.com'];

/** Envelope: --sender/--recipient flags, or the environment an MTA pipe sets, or nothing. */
function envelope(c, { sane = false } = {}) {
  const rng = c.rng;
  const sender = sane || rng.chance(0.8) ? 'alice@example.org' : rng.pick(SENDERS);
  const recipient = sane || rng.chance(0.8) ? 'bob@example.com' : rng.pick(RECIPIENTS);
  const how = rng.weighted([[6, 'flags'], [2, 'exim-env'], [1, 'postfix-env'], [1, 'none']]);
  if (how === 'flags') {
    c.opt('sender', sender);
    c.opt('recipient', recipient);
  } else if (how === 'exim-env') {
    Object.assign(c.env, { SENDER: sender, RECIPIENT: recipient, LOCAL_PART: recipient.split('@')[0], DOMAIN: recipient.split('@')[1] ?? '', MESSAGE_ID: '1qXyZa-000Abc-2D', QUALIFY_DOMAIN: 'example.com' });
    if (rng.chance(0.2)) Object.assign(c.env, { LOCAL_PART_PREFIX: 'x-', LOCAL_PART_SUFFIX: '+ext' });
  } else if (how === 'postfix-env') {
    Object.assign(c.env, { SENDER: sender, RECIPIENT: recipient, LOCAL: recipient.split('@')[0], DOMAIN: recipient.split('@')[1] ?? '', EXTENSION: rng.pick(['', 'ext', 'a+b']) });
  }
  if (how !== 'flags' && rng.chance(0.1)) c.opt('recipient', recipient);
  if (rng.chance(0.1)) c.opt('primary-hostname', rng.pick(['mx.example.com', '', 'h\u00f6st', 'a'.repeat(500)]));
  if (rng.chance(0.05)) c.opt('qualify-domain', rng.pick(['example.com', '', '..']));
  c.tag(`envelope-${how}`);
}

/** --allow-RULE for (nearly) every safety rule, so that the reply gets built. */
function allowAll(c, p = 0.97) {
  for (const r of RULES) if (c.rng.chance(p)) c.opt(`allow-${r}`);
}

/** A path inside the case for once/log: literal, or an expansion of harmless data. */
function casePath(c, name) {
  return c.rng.weighted([
    [10, () => `${RUN}/${name}`],
    [2, () => `${RUN}/sub/dir/${name}`], // directory does not exist
    [1, () => `${RUN}/\${lc:${name.toUpperCase()}}`],
    [1, () => `${RUN}/\${if def:h_subject:{${name}}{${name}-2}}`],
    [1, () => `${RUN}/$h_x-fuzz-token:`], // tainted: must be refused
    [1, () => `${RUN}/${name}-$tod_epoch`],
    [1, () => `${RUN}/home`], // a directory
    [1, () => `${RUN}/${name} with space`],
  ])();
}

/** A once database in some state: new, holding entries, garbage, corrupt... */
function onceDb(c, templateDb, { state } = {}) {
  const rng = c.rng;
  const s = state ?? rng.weighted([[10, 'new'], [4, 'template'], [1, 'garbage'], [1, 'empty'], [1, 'corrupt'], [1, 'truncated'], [0.5, 'directory'], [0.5, 'symlink'], [0.5, 'lock-symlink'], [0.5, 'no-dir']]);
  const p = 'once.db';
  if ((s === 'template' || s === 'corrupt' || s === 'truncated') && templateDb) {
    let data = Buffer.from(templateDb.db);
    if (s === 'corrupt') for (let i = rng.logInt(1, 200); i > 0; i--) data[rng.int(0, data.length - 1)] = rng.int(0, 255);
    if (s === 'truncated') data = data.subarray(0, rng.int(0, data.length - 1));
    c.file(p, data, 0o600);
    if (rng.chance(0.7)) c.file(`${p}-lock`, templateDb.lock, 0o600);
    c.file(`${p}.lock`, '', 0o600);
  } else if (s === 'garbage') c.file(p, c.rng.bytes(rng.logInt(1, 65536)), 0o600);
  else if (s === 'empty') c.file(p, '', 0o600);
  else if (s === 'directory') c.dir(p);
  else if (s === 'symlink') c.symlink(p, 'elsewhere.db');
  else if (s === 'lock-symlink') c.symlink(`${p}.lock`, 'elsewhere.lock');
  c.tag(`once-${s}`);
  return s === 'no-dir' ? `${RUN}/no/such/dir/${p}` : `${RUN}/${p}`;
}

function textFile(rng) {
  return rng.weighted([
    [5, () => 'I am away until Monday.\nYour message: $h_subject:\n'],
    [1, () => 'Line with ${if def:h_from:{$h_from:}{nobody}} and ${lc:$h_subject:}\n\\$literal ${unterminated\n'],
    [1, () => Buffer.concat([Buffer.from('8bit: '), rng.bytes(rng.logInt(1, 2000)), Buffer.from('\n')])],
    [1, () => ''],
    [1, () => 'x'.repeat(rng.logInt(1, 200000))],
  ])();
}

function seedMessage(rng) {
  return rng.pick(loadSeeds()).data;
}

/** Add header lines at the top of a message (after an mbox From line if any). */
function withHeaders(msg, lines) {
  const s = msg.toString('latin1');
  const add = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1');
  if (s.startsWith('From ')) {
    const nl = s.indexOf('\n') + 1;
    return Buffer.concat([msg.subarray(0, nl), add, msg.subarray(nl)]);
  }
  return Buffer.concat([add, msg]);
}

// ---------------------------------------------------------------- reply files and mailboxes

function replyFileText(rng) {
  const ph = () => rng.pick(['{subject}', '{from}', '{message-id}', '{*}', '{to}', '{x-fuzz}', '{nonexistent}', '{Subject}',
    '\\{literal}', '\\\\', '{include common/sig.txt}', '{include ../escape.txt}', '{include /etc/hostname}', '{include self.txt}',
    '{include loop-a.txt}', '{subject', '{', '}', '{include}', '{*', '{ subject }', 'p { margin: 0 }']);
  const headers = [];
  if (rng.chance(0.7)) headers.push(`Subject: Away (was: ${ph()})`);
  if (rng.chance(0.3)) headers.push(`To: ${rng.pick(['{from}', '{reply-to}', 'alice@example.org', ''])}`);
  if (rng.chance(0.3)) headers.push(`From: Bob <bob@example.com>`);
  if (rng.chance(0.1)) headers.push(rng.pick(['Auto-Submitted: no', 'Auto-Submitted: auto-replied', 'In-Reply-To: <x@y>', 'X-Custom: ' + ph(), 'Bad Header', ': empty name']));
  let mime = '';
  if (rng.chance(0.15)) {
    headers.push('Content-Type: multipart/alternative; boundary="b1"');
    mime = `--b1\nContent-Type: text/plain; charset=utf-8\n\nText ${ph()}\n--b1\nContent-Type: text/html\n\n<p>${ph()}</p>\n--b1\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGk=\n--b1--\n`;
  }
  const body = [];
  for (let i = rng.int(0, 6); i > 0; i--) body.push(`${rng.pick(['Hello,', 'Re:', '', 'caf\u00e9', 'x'.repeat(rng.logInt(1, 3000))])} ${ph()} ${ph()}`);
  let text = `${headers.join('\n')}\n\n${mime}${body.join('\n')}\n`;
  if (rng.chance(0.1)) text = text.replace('\n\n', '\n'); // header block without its empty line
  if (rng.chance(0.05)) text = `\n${text}`;
  return text;
}

function replyFile(c) {
  const rng = c.rng;
  c.dir('replies/common');
  c.file('replies/common/sig.txt', rng.chance(0.9) ? '-- \nBob\n{subject}\n' : c.rng.bytes(100));
  c.file('replies/self.txt', '{include self.txt}\n');
  c.file('replies/loop-a.txt', '{include loop-b.txt}\n');
  c.file('replies/loop-b.txt', '{include loop-a.txt}\n');
  c.file('escape.txt', 'outside\n');
  const state = rng.weighted([[12, 'text'], [1, 'binary'], [1, 'missing'], [1, 'empty'], [1, 'huge'], [1, 'directory']]);
  let path = `${RUN}/replies/vacation.txt`;
  if (state === 'text') c.file('replies/vacation.txt', replyFileText(rng));
  else if (state === 'binary') c.file('replies/vacation.txt', rng.bytes(rng.logInt(1, 10000)));
  else if (state === 'empty') c.file('replies/vacation.txt', '');
  else if (state === 'huge') c.file('replies/vacation.txt', `Subject: big\n\n${'{subject} '.repeat(rng.logInt(1000, 200000))}\n`);
  else if (state === 'directory') path = c.dir('replies/vacation.txt');
  c.opt('reply-file', path);
  c.tag(`reply-file-${state}`, state === 'huge');
}

function mailbox(c) {
  const rng = c.rng;
  const dir = c.dir('Maildir');
  const state = rng.weighted([[10, 'on'], [2, 'off'], [1, 'binary'], [1, 'directory'], [1, 'empty'], [1, 'huge']]);
  if (state === 'on') c.file('Maildir/.auto-reply', rng.pick(['I am away.\n', 'Back on ${tod_full}? $h_subject:\n', 'caf\u00e9 \u2603\n', 'no newline']));
  else if (state === 'binary') c.file('Maildir/.auto-reply', rng.bytes(rng.logInt(1, 5000)));
  else if (state === 'directory') c.dir('Maildir/.auto-reply');
  else if (state === 'empty') c.file('Maildir/.auto-reply', '');
  else if (state === 'huge') c.file('Maildir/.auto-reply', 'z'.repeat(rng.logInt(100000, 3000000)));
  c.opt('mailbox', rng.chance(0.9) ? dir : `${RUN}/no-such-mailbox`);
  c.tag(`mailbox-${state}`, state === 'huge');
}

// ---------------------------------------------------------------- profiles

/**
 * The usual ways an administrator runs autoreply, with the message data used in
 * as many places as possible (so that mutated headers reach the code that uses them).
 */
function profile(c, templateDb) {
  const rng = c.rng;
  const name = rng.weighted([[5, 'flags'], [5, 'config'], [3, 'strict'], [2, 'vacation'], [2, 'reply-file'], [1, 'mailbox'], [3, 'rich']]);
  c.tag(`profile-${name}`);
  if (name === 'vacation') {
    c.command = 'vacation';
    c.pre = ['vacation'];
    c.file('home/.vacation.msg', textFile(rng));
  }
  sendmail(c);
  envelope(c);
  const strict = name === 'strict' || (name !== 'reply-file' && name !== 'mailbox' && rng.chance(0.1));
  if (strict) c.opt('exim-strict');
  else if (rng.chance(0.5)) allowAll(c);
  if (name === 'flags') {
    c.opt('to', '$reply_address');
    c.opt('subject', rng.pick(['Re: $h_subject:', 'Re: $rh_subject:', '${if def:h_subject:{Re: $h_subject:}{Your message}}']));
    c.opt('text', 'Your message "$h_subject:" of $h_date: from $h_from: arrived.');
  } else if (name === 'config' || name === 'strict') {
    c.setting('to', rng.pick(['$reply_address', '$sender_address', '$h_from:', '${address:$h_reply-to:}']));
    c.setting('subject', '${if def:h_subject: {Re: $h_subject:}{Your message}}');
    c.setting('text', 'This is an automatic reply to your message${if def:h_subject: { "$h_subject:"}}.');
    if (rng.chance(0.5)) {
      c.file('home/.vacation.msg', textFile(rng));
      c.setting('file', '$home/.vacation.msg');
      if (rng.chance(0.5)) c.setting('file_optional', undefined);
      if (rng.chance(0.5)) c.setting('file_expand', undefined);
    }
    if (rng.chance(0.3)) c.setting('headers', 'X-Original-From: $h_from:\nX-Original-Subject: $rh_subject:');
    if (rng.chance(0.3)) c.setting('cc', rng.pick(['$h_cc:', 'carol@example.net']));
  } else if (name === 'rich') {
    c.setting('to', '${if def:h_reply-to:{$h_reply-to:}{$h_from:}}');
    c.setting('cc', rng.chance(0.3) ? '${addresses:$h_cc:}' : '');
    c.setting('subject', 'Re: ${rfc2047d:$rh_subject:} / ${sg{$h_subject:}{\\\\s+}{ }}');
    c.setting('text', [
      'From: $h_from: / ${addresses:$h_from:} / ${local_part:$reply_address} at ${domain:$reply_address}',
      'To: ${addresses:$h_to:}  Cc: $h_cc:',
      'Quoted: ${quote:$h_from:} escaped: ${escape:$h_subject:} length ${strlen:$message_headers}',
      'Refs: ${extract{1}{ }{$h_references:}} ${length_40:$h_message-id:}',
      'Body: $message_body',
      'End: $message_body_end ($message_body_size bytes, $body_linecount lines)',
      'Raw: $message_headers_raw',
    ].join('\\n'));
    c.setting('headers', rng.pick(['X-Was: $h_subject:', 'X-Id: ${md5:$h_message-id:}', 'Content-Type: text/plain; charset=utf-8']));
  } else if (name === 'reply-file') {
    replyFile(c);
  } else if (name === 'mailbox') {
    mailbox(c);
  }
  if (rng.chance(0.4)) c.opt('return-message', rng.pick(['yes', 'true', 'no']));
  if (rng.chance(0.1)) c.opt('return-size-limit', rng.pick(['0', '1', '100', '1K', '100K', '1M']));
  if (rng.chance(0.3)) c.opt('dry-run');
  if (rng.chance(0.15)) c.opt('verbose');
  if (rng.chance(0.25)) c.opt('once', onceDb(c, templateDb, { state: rng.chance(0.8) ? 'new' : undefined }));
  if (rng.chance(0.25)) c.opt('log', `${RUN}/autoreply.log`);
  if (rng.chance(0.05)) c.opt('fire-and-forget');
}

// ---------------------------------------------------------------- kinds

function kindMessage(c, templateDb) {
  const forced = c.forcedSub;
  const m = mutatedMessage(c.rng, forced);
  c.stdin = m.data;
  c.tag(`seed-${m.seed}`);
  for (const t of m.tags) c.tag(t);
  if (m.heavy) {
    c.heavy = true;
    c.mainTag = m.mainTag;
  } else c.mainTag = m.tags[0];
  profile(c, templateDb);
}

function kindGarbage(c, templateDb) {
  const g = garbage(c.rng);
  c.stdin = g.data;
  c.tag(`garbage-${g.mainTag}`, g.heavy);
  c.mainTag = `garbage-${g.mainTag}`;
  profile(c, templateDb);
}

const EXPANSION_GENERATORS = [[50, 'tree'], [14, 'deep'], [8, 'chars'], [6, 'eval-heavy'], [1.2, 'catastrophic'], [0.6, 'readfile'], [8, 'conditions'], [6, 'many-options']];
const EXPANDED_OPTIONS = [[10, 'text'], [5, 'subject'], [3, 'headers'], [3, 'to'], [1, 'cc'], [1, 'bcc'], [1, 'from'], [1, 'reply_to'], [1, 'never_mail'], [0.5, 'once_repeat']];

function kindExpansion(c, templateDb) {
  const rng = c.rng;
  let msg = seedMessage(rng);
  if (rng.chance(0.3)) msg = mutatedMessage(rng).data;
  const gen = c.forcedSub ?? rng.weighted(EXPANSION_GENERATORS);
  const items = [];
  switch (gen) {
    case 'tree': items.push({ text: expansion(rng, rng.int(1, 6)), tag: 'expansion-tree' }); break;
    case 'deep': items.push(deepNest(rng)); break;
    case 'chars': items.push({ text: randomChars(rng), tag: 'expansion-random-chars' }); break;
    case 'eval-heavy': items.push({ text: `\${eval:${'('.repeat(rng.int(0, 30))}${expansion(rng, 2).length}${')'.repeat(rng.int(0, 30))}}${expansion(rng, 3)}`, tag: 'expansion-eval' }); break;
    case 'conditions': items.push({ text: `\${if ${condition(rng, rng.int(2, 5))}{yes $h_subject:}{no ${variable(rng)}}}`, tag: 'expansion-conditions' }); break;
    case 'catastrophic': {
      const x = catastrophic(rng);
      msg = withHeaders(msg, [x.header]);
      const parts = splitMessage(msg); // the data first in the body too, for $message_body
      msg = Buffer.concat([parts.head, parts.sep.length ? parts.sep : Buffer.from('\n'), Buffer.from(`${x.body}\n`), parts.body]);
      items.push(x);
      break;
    }
    case 'readfile': items.push(readfileBomb(rng)); break;
    case 'many-options':
      for (let i = rng.int(2, 6); i > 0; i--) items.push({ text: expansion(rng, rng.int(1, 4)), tag: 'expansion-many-options' });
      break;
  }
  if (rng.chance(0.3)) msg = withHeaders(msg, ['X-Fuzz-Token: fuzztoken']);
  c.stdin = msg;
  sendmail(c);
  envelope(c, { sane: rng.chance(0.7) });
  if (rng.chance(0.3)) c.opt('exim-strict');
  else if (rng.chance(0.8)) allowAll(c, 1);
  if (rng.chance(0.4)) c.opt('dry-run');
  if (rng.chance(0.1)) c.opt('verbose');
  if (rng.chance(0.1)) c.opt('once', onceDb(c, templateDb, { state: 'new' }));
  if (rng.chance(0.1)) c.opt('return-message', 'yes');
  const used = new Set();
  for (const it of items) {
    if (!it.heavy && /\$\{readfile\{\/dev\/(zero|urandom)\}/.test(it.text)) Object.assign(it, { heavy: true, tag: `${it.tag}:readfile-endless` });
    let opt = rng.weighted(EXPANDED_OPTIONS);
    if (used.has(opt)) opt = 'text';
    used.add(opt);
    const inConfig = it.text.length > MAX_ARG || rng.chance(0.35);
    if (inConfig) c.setting(opt, it.text);
    else c.opt(opt.replace(/_/g, rng.chance(0.5) ? '-' : '_'), it.text);
    c.tag(`${it.tag}@${opt}`, !!it.heavy);
    if (!it.heavy && !c.mainTag) c.mainTag = it.tag;
  }
  if (!used.has('to')) (rng.chance(0.5) ? c.opt('to', '$reply_address') : c.setting('to', '$reply_address'));
  if (gen === 'readfile' && rng.chance(0.3)) {
    // the file option reading an endless file, too
    c.setting('file', rng.pick(['/dev/zero', '/dev/urandom']));
  }
}

/** Option table for the options kind: name -> value generator (undefined: a bare flag). */
function optionTable(c, templateDb) {
  const rng = c.rng;
  const exp = () => expansion(rng, rng.int(0, 2));
  return [
    [3, () => c.opt('exim-strict')],
    [3, () => c.opt('dry-run')],
    [1, () => { c.opt('dry-run'); c.opt('json'); }],
    [2, () => c.opt('verbose')],
    [3, () => c.opt('once', onceDb(c, templateDb))],
    [2, () => c.opt('once-repeat', rng.pick(['0', '5d', '7d', '1h', '30m', '10s', '0h0m2s', '5d4h', '2w', '30', '2 days', '-1d', 'abc', '', '99999999999999w', '1y', '5 d', '12H', 'replyinterval 5d', '86400', '${if eq{a}{a}{1d}{2d}}', '$h_subject:']))],
    [1, () => c.opt('once-file-size', rng.pick(['0', '1', '10', '100000', '1e9', '-1', 'abc', '99999999999999999999', '1K']))],
    [2, () => c.opt('log', casePath(c, 'autoreply.log'))],
    [1, () => c.opt('mode', rng.pick(['0600', '600', '0644', '0777', '0', '9', 'abc', '-1', '07777', '0o600']))],
    [3, () => c.opt('return-message', rng.pick(['yes', 'no', 'true', 'false', 'maybe', '', '1', 'YES']))],
    [1, () => c.opt('no-return-message')],
    [2, () => c.opt('return-size-limit', rng.pick(['0', '1', '100K', '1M', '1G', '5X', '-3', '', '100k', '1.5M', '99999999999999999999']))],
    [2, () => c.opt('never-mail', rng.pick(['alice@example.org', '$reply_address', ': : :', '*@example.org', '<; a@b; c@d', '^.*', exp()]))],
    [2, () => { for (let i = rng.int(1, 4); i > 0; i--) c.opt('alias', rng.pick(['bob@example.com', 'robert@example.com', '', 'Bob <bob@example.com>', 'x', 'bob@EXAMPLE.COM'])); }],
    [2, () => replyFile(c)],
    [1.5, () => mailbox(c)],
    [1, () => c.opt('handle', rng.pick(['vacation', 'two words', '', 'x'.repeat(300), 'h#1', 'caf\u00e9']))],
    [1, () => c.opt('fire-and-forget')],
    [1, () => c.opt('x-loop', rng.pick(['bob@example.com', '', 'x']))],
    [1, () => c.opt('max-recipients', rng.pick(['0', '1', '5', '-1', 'abc', '1.5', '99999999999999999999']))],
    [1, () => c.opt('max-replies-per-hour', rng.pick(['0', '1', '100', '-1', 'x']))],
    [1, () => c.opt(rng.pick(['start', 'end']), rng.pick(['2026-01-01', '2099-12-31', '2000-01-01T00:00:00Z', '2026-13-45', 'yesterday', '', '2026-07-01T10:00:00+25:00', '0']))],
    [1, () => c.opt('authserv-id', rng.pick(['mx.example.com', '', 'other.example']))],
    [2, () => c.opt(`allow-${rng.pick(RULES)}`)],
    [1, () => allowAll(c)],
    [2, () => c.opt(rng.pick(['to', 'cc', 'bcc', 'from', 'reply-to', 'reply_to']), rng.pick(['$reply_address', 'carol@example.net', '', 'a@b, c@d, e@f, g@h, i@j, k@l', 'Bob <bob@example.com>', exp()]))],
    [2, () => c.opt(rng.pick(['subject', 'text', 'headers']), rng.pick(['Re: $h_subject:', '', 'X-A: 1\nX-B: 2', 'Bad header line', 'X-Nl: a\n\nb', exp()]))],
    [2, () => { c.file('body.txt', textFile(rng)); c.opt('file', rng.pick([`${RUN}/body.txt`, `${RUN}/missing.txt`, `${RUN}/home`, '/dev/null', '/etc/hostname', '/dev/zero'])); }],
    [1, () => c.opt('file-expand', rng.pick(['yes', 'no', 'bad']))],
    [1, () => c.opt('file-optional', rng.pick(['yes', 'no', '']))],
    [1, () => c.opt('home', rng.pick([`${RUN}/home`, `${RUN}/nohome`, `${RUN}/home/`]))],
    [c.features.submitTimeout ? 1 : 0, () => c.opt('submit-timeout', rng.pick(['1', '0', '-1', 'abc', '2.5', '60']))],
    [1, () => c.opt(rng.pick(['bogus', 'once-repeet', 'allow-everything', 'x', 'verbose=yes', 'dry_run', 'exim_strict']))],
    [0.5, () => c.args.push(rng.pick(['positional', '-', '-x', '--', '---', '-v', '--=x', '--help', '--version']))],
    [0.5, () => c.opt('text', 'a'.repeat(rng.logInt(1000, MAX_ARG)))],
    [0.5, () => { c.opt('to', 'x@y.example'); c.opt('to', 'z@y.example'); }], // repeated single-valued option
  ];
}

function kindOptions(c, templateDb) {
  const rng = c.rng;
  c.stdin = rng.chance(0.85) ? seedMessage(rng) : mutatedMessage(rng).data;
  if (rng.chance(0.1)) {
    c.command = 'vacation';
    c.pre = ['vacation'];
    if (rng.chance(0.7)) c.file('home/.vacation.msg', textFile(rng));
  }
  sendmail(c);
  envelope(c);
  if (rng.chance(0.5)) {
    if (rng.chance(0.5)) c.opt('to', '$reply_address');
    else c.setting('to', '$reply_address');
  }
  if (rng.chance(0.3)) c.setting('text', 'configured text $h_subject:');
  const table = optionTable(c, templateDb);
  const n = rng.logInt(1, 12);
  for (let i = 0; i < n; i++) {
    const before = c.tags.length;
    const fn = rng.weighted(table);
    const argsBefore = c.args.length;
    fn();
    if (c.tags.length === before) c.tag(`opt-${(c.args[argsBefore] ?? '').replace(/^--/, '').split('=')[0] || 'setting'}`);
  }
  if (!c.heavy) c.mainTag = c.tags.find((t) => t.startsWith('opt-') || t.startsWith('reply-file') || t.startsWith('mailbox') || t.startsWith('once-')) ?? 'options';
}

function importData(rng) {
  return rng.weighted([
    [4, () => Buffer.from(Array.from({ length: rng.logInt(1, 500) }, (_, i) => JSON.stringify({
      key: rng.pick([`u${i}@example.org`, 'Alice <ALICE@example.org>', '', 'vacation.txt#3f2a9c81d0e4 a@b', 'x'.repeat(rng.logInt(1, 600))]),
      lastReply: rng.pick(['2026-07-01T10:00:00Z', 'yesterday', '', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 0]),
      count: rng.pick([1, 0, -1, 1e20, 'x', null]),
      note: rng.pick([undefined, 'n', '\u2603']),
    })).join('\n') + '\n')],
    [2, () => { // Exim once_file_size cache: time_t + address + NUL records
      const parts = [];
      for (let i = rng.logInt(1, 300); i > 0; i--) {
        const t = Buffer.alloc(8);
        t.writeBigInt64LE(BigInt(rng.int(0, 2 ** 31)));
        parts.push(t, Buffer.from(`u${i}@example.org\0`));
      }
      let d = Buffer.concat(parts);
      if (rng.chance(0.3)) d = d.subarray(0, rng.int(0, d.length));
      return d;
    }],
    [1, () => rng.bytes(rng.logInt(1, 20000))],
    [1, () => Buffer.from('{"key":\n{not json}\n[]\nnull\n"str"\n{"key":"a@b"}\n')],
  ])();
}

function kindCommands(c, templateDb) {
  const rng = c.rng;
  const cmd = rng.weighted([[4, 'check'], [2, 'list'], [2, 'show'], [2, 'forget'], [1, 'prune'], [1, 'clear'], [1, 'export'], [3, 'import'], [0.5, 'bogus']]);
  c.tag(`command-${cmd}`);
  c.mainTag = `command-${cmd}`;
  if (cmd === 'check') {
    c.command = 'check';
    c.pre = ['check'];
    const what = rng.weighted([[5, 'config'], [2, 'reply-file'], [1, 'mailbox'], [1, 'nothing']]);
    if (what === 'config') {
      const n = rng.int(1, 8);
      const names = ['to', 'cc', 'bcc', 'from', 'reply_to', 'subject', 'headers', 'text', 'file', 'file_expand', 'file_optional', 'return_message', 'return_size_limit', 'log', 'mode', 'never_mail', 'once', 'once_repeat', 'once_file_size'];
      for (let i = 0; i < n; i++) {
        const name = rng.pick(names);
        if (['file', 'log', 'once'].includes(name)) c.setting(name, casePath(c, name));
        else c.setting(name, rng.chance(0.5) ? expansion(rng, rng.int(0, 4)) : rng.pick(['yes', 'no', '100K', '0600', '5d', '30', '']));
      }
      if (rng.chance(0.5)) c.opt('message', c.file('message.eml', rng.chance(0.7) ? seedMessage(rng) : mutatedMessage(rng).data));
    } else if (what === 'reply-file') replyFile(c);
    else if (what === 'mailbox') mailbox(c);
    if (rng.chance(0.2)) c.opt(rng.pick(['exim-strict', 'verbose', 'bogus']));
    c.stdin = rng.chance(0.5) ? Buffer.alloc(0) : seedMessage(rng);
  } else {
    c.command = `once-${cmd}`;
    c.pre = ['once', cmd];
    const db = onceDb(c, templateDb, { state: rng.weighted([[6, 'template'], [2, 'new'], [1, 'garbage'], [1, 'corrupt'], [1, 'truncated'], [0.5, 'empty'], [0.3, 'directory'], [0.3, 'no-dir']]) });
    if (rng.chance(0.95)) c.opt('once', db);
    const addr = () => rng.pick(['alice@example.org', 'Alice <Alice@Example.org>', 'vacation.txt#3f2a9c81d0e4 carol@example.net', 'nobody@example.org', '', 'a@b, c@d', 'x'.repeat(rng.logInt(1, 2000)), 'caf\u00e9@example.fr', 'user7@EXAMPLE.net']);
    if (cmd === 'show' || cmd === 'forget') {
      c.allowedExit = [...EXIT_OK, 1];
      if (rng.chance(0.95)) c.args.push(addr());
      if (rng.chance(0.4)) c.opt('raw');
      if (cmd === 'show' && rng.chance(0.4)) c.opt('json');
    } else if (cmd === 'list') {
      if (rng.chance(0.5)) c.opt('json');
      if (rng.chance(0.3)) c.opt('by-time');
    } else if (cmd === 'prune') {
      if (rng.chance(0.9)) c.opt('older-than', rng.pick(['1d', '0', '5d4h', '30', 'abc', '', '99999999999w', '-1d']));
    } else if (cmd === 'import') {
      const data = importData(rng);
      if (rng.chance(0.5)) c.stdin = data;
      else c.args.push(c.file('import.dat', data));
      if (rng.chance(0.3)) c.opt('time-size', rng.pick(['4', '8', '3', '0', 'x']));
      if (rng.chance(0.2)) c.opt('big-endian');
      if (rng.chance(0.2)) c.opt('raw-keys');
    }
  }
}

const BUILDERS = { message: kindMessage, garbage: kindGarbage, expansion: kindExpansion, options: kindOptions, commands: kindCommands };

/**
 * Case number `index` of the run with seed `seed`. `only`: force a kind.
 * `sub`: force one mutator (kind message) or generator (kind expansion): --only message:longRun.
 * `features`: what the program under test offers ({submitTimeout}); options it lacks are not generated.
 */
export function buildCase(index, seed, { only, sub, templateDb, features = {} } = {}) {
  const rng = new Rng(`${seed}:${index}`);
  const kind = only ?? rng.weighted(KIND_WEIGHTS);
  const c = new CaseBuilder(index, kind, rng);
  c.forcedSub = sub;
  c.features = features;
  BUILDERS[kind](c, templateDb);
  return c.finish();
}

/** What --only KIND:SUB accepts. */
export const SUB_GENERATORS = { message: Object.keys(MUTATORS), expansion: EXPANSION_GENERATORS.map(([, n]) => n) };
