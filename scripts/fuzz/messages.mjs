// Incoming messages for the fuzzer: the seed messages in seeds/, mutations of
// them, and garbage. Everything works on Buffers (bytes), never on JS strings
// that could silently re-encode 8-bit data.
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const SEED_DIR = join(here, 'seeds');

let seedCache;
/** [{name, data: Buffer}] sorted by name */
export function loadSeeds() {
  if (!seedCache) {
    seedCache = readdirSync(SEED_DIR)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((name) => ({ name, data: readFileSync(join(SEED_DIR, name)) }));
    if (seedCache.length === 0) throw new Error(`no seed messages in ${SEED_DIR}`);
  }
  return seedCache;
}

const b = (s) => Buffer.from(s, 'latin1');
const utf8 = (s) => Buffer.from(s, 'utf8');

/** Split a message into header block and body at the first empty line (LF or CRLF). */
export function splitMessage(buf) {
  let i = -1;
  for (let p = 0; p < buf.length - 1; p++) {
    if (buf[p] === 0x0a && (buf[p + 1] === 0x0a || (buf[p + 1] === 0x0d && buf[p + 2] === 0x0a))) {
      i = p + 1;
      break;
    }
  }
  if (i < 0) return { head: buf, sep: Buffer.alloc(0), body: Buffer.alloc(0) };
  const sepLen = buf[i] === 0x0d ? 2 : 1;
  return { head: buf.subarray(0, i), sep: buf.subarray(i, i + sepLen), body: buf.subarray(i + sepLen) };
}

/** Header fields of a header block: [{lines: Buffer}] with continuation lines kept. */
function fields(head) {
  const out = [];
  let start = 0;
  const lines = [];
  for (let p = 0; p < head.length; p++) {
    if (head[p] === 0x0a) {
      lines.push(head.subarray(start, p + 1));
      start = p + 1;
    }
  }
  if (start < head.length) lines.push(head.subarray(start));
  for (const l of lines) {
    if ((l[0] === 0x20 || l[0] === 0x09) && out.length) out[out.length - 1].push(l);
    else out.push([l]);
  }
  return out.map((ls) => Buffer.concat(ls));
}

function fieldName(f) {
  const c = f.indexOf(0x3a);
  return c < 0 ? '' : f.subarray(0, c).toString('latin1').trim().toLowerCase();
}

function join3(head, sep, body) {
  return Buffer.concat([head, sep.length ? sep : b('\n'), body]);
}

const CHARSETS = ['UTF-8', 'utf-8', 'ISO-8859-1', 'iso-8859-15', 'windows-1252', 'KOI8-R', 'Shift_JIS', 'ISO-2022-JP',
  'GB2312', 'GB18030', 'BIG5', 'EUC-KR', 'UTF-16', 'UTF-7', 'us-ascii', 'x-unknown', '', 'utf-8*en', 'UTF-8?Q'];

/** A random encoded word, valid or broken (CR LF inside, bad base64, unknown charset, huge). */
export function encodedWord(rng) {
  const cs = rng.pick(CHARSETS);
  const enc = rng.pick(['B', 'Q', 'b', 'q', 'X', '']);
  let text;
  switch (rng.int(0, 9)) {
    case 0: text = 'abc\r\ndef'; break;
    case 1: text = '=0D=0A=00=FF'; break;
    case 2: text = Buffer.from(rng.bytes(rng.int(1, 40))).toString('base64'); break;
    case 3: text = 'not base64 !!!'; break;
    case 4: text = '=?'; break;
    case 5: text = 'x'.repeat(rng.logInt(1, 20000)); break;
    case 6: text = Buffer.from('caf\u00e9 \u2615 \ud83d\udcc5', 'utf8').toString(enc.toLowerCase() === 'b' ? 'base64' : 'latin1'); break;
    case 7: text = '\r\n \r\n'; break;
    case 8: text = Buffer.from('\r\nBcc: victim@example.net\r\n').toString('base64'); break;
    default: text = '=E9t=E9_=C3=A9=3F=3D';
  }
  return b(`=?${cs}?${enc}?${text}?=`);
}

const ADDR_HEADERS = ['From', 'To', 'Cc', 'Reply-To', 'Sender', 'Bcc', 'Resent-To', 'Return-Path'];
const ALL_HEADERS = [...ADDR_HEADERS, 'Subject', 'Message-ID', 'In-Reply-To', 'References', 'Date', 'Content-Type',
  'MIME-Version', 'Auto-Submitted', 'Precedence', 'List-Id', 'X-Loop', 'X-Spam-Flag', 'Authentication-Results',
  'Content-Transfer-Encoding', 'X-Auto-Response-Suppress', 'Received'];

function randomHeaderValue(rng) {
  switch (rng.int(0, 7)) {
    case 0: return b(` <${rng.int(0, 1e9)}@fuzz.example>`);
    case 1: return b(' alice@example.org');
    case 2: return Buffer.concat([b(' '), encodedWord(rng)]);
    case 3: return Buffer.concat([b(' '), rng.bytes(rng.int(0, 60))]);
    case 4: return b(' multipart/report; report-type=delivery-status; boundary=x');
    case 5: return b(' auto-replied');
    case 6: return b('');
    default: return b(` "Q, R" <q@example.org>, (c) r@example.org, undisclosed:;`);
  }
}

/**
 * A run of one character (mostly white space): length log-distributed from 16 up to 64 KiB,
 * and for 30 % of them from 64 KiB up to 1 MiB (the header block's limit).
 */
function run(rng) {
  const n = rng.chance(0.3) ? rng.logInt(64 * 1024, 1024 * 1024 - 4096) : rng.logInt(16, 64 * 1024);
  const ch = rng.weighted([[9, ' '], [3, '\t'], [2, 'a'], [1, '('], [1, '<'], [1, '"'], [1, '\\'], [1, '='], [1, ','], [1, '@'], [1, '\xe9']]);
  return { n, ch, data: Buffer.alloc(n, ch, 'latin1') };
}

function nested(depth, open, close, inner = 'x') {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/**
 * The mutators. Each takes (rng, buf) and returns {data, tag, heavy?}.
 * `heavy` marks mutations that make a big or deep input (counted separately in the report).
 */
export const MUTATORS = {
  flipBytes(rng, buf) {
    const out = Buffer.from(buf);
    const n = rng.logInt(1, Math.max(1, Math.min(64, out.length)));
    for (let i = 0; i < n && out.length; i++) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
    return { data: out, tag: 'flip-bytes' };
  },
  insertBytes(rng, buf) {
    const what = rng.pick([
      ['cr', b('\r')], ['lf', b('\n')], ['crlf', b('\r\n')], ['nul', b('\0')], ['8bit', b('\xe9\xff\x80')],
      ['utf8', utf8('\u00e9\u2603\ud83d\ude00')], ['bad-utf8', b('\xc3\x28\xe2\x82\xf0\x9f\x98')], ['del', b('\x7f')],
      ['ctl', b('\x01\x1b[2J\x08')], ['fold', b('\n ')], ['bare-cr-fold', b('\r ')], ['ff-vt', b('\f\v')],
    ]);
    const out = [];
    let last = 0;
    const n = rng.logInt(1, 30);
    const pos = Array.from({ length: n }, () => rng.int(0, buf.length)).sort((x, y) => x - y);
    for (const p of pos) {
      out.push(buf.subarray(last, p), what[1]);
      last = p;
    }
    out.push(buf.subarray(last));
    return { data: Buffer.concat(out), tag: `insert-${what[0]}` };
  },
  insertInHeader(rng, buf) {
    // a control/8-bit/CR/LF byte inside one header's value
    const { head, sep, body } = splitMessage(buf);
    const fs = fields(head);
    if (!fs.length) return { data: buf, tag: 'insert-in-header' };
    const i = rng.int(0, fs.length - 1);
    const f = fs[i];
    const p = rng.int(Math.min(f.length, f.indexOf(0x3a) + 1), Math.max(0, f.length - 1));
    const ins = rng.pick([b('\r'), b('\n'), b('\0'), b('\r\n'), b('\xff'), b('\x1b'), b('\n\n'), b('\r\n\r\n'), b('\nBcc: x@example.net\n')]);
    fs[i] = Buffer.concat([f.subarray(0, p), ins, f.subarray(p)]);
    return { data: join3(Buffer.concat(fs), sep, body), tag: 'insert-in-header' };
  },
  encodedWords(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const name = rng.pick(['Subject', 'From', 'To', 'Reply-To', 'Cc', 'X-Fuzz']);
    const words = [];
    const n = rng.logInt(1, 200);
    for (let i = 0; i < n; i++) words.push(encodedWord(rng), rng.pick([b(' '), b(''), b('\r\n '), b('\n\t'), b(' x ')]));
    let value = Buffer.concat(words);
    if (name !== 'Subject' && name !== 'X-Fuzz') value = Buffer.concat([value, b(' <ew@example.org>')]);
    const line = Buffer.concat([b(`${name}: `), value, b('\n')]);
    return { data: join3(Buffer.concat([line, head]), sep, body), tag: `encoded-words:${n}`, heavy: n > 100 };
  },
  duplicateHeader(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const fs = fields(head);
    if (!fs.length) return { data: buf, tag: 'dup-header' };
    const f = rng.pick(fs);
    // at most about 16 MB of copies: after earlier mutations a field can be megabytes long
    const times = Math.max(2, Math.min(rng.logInt(2, 20000), Math.floor(16e6 / Math.max(1, f.length))));
    const copies = Array(times).fill(f.at(-1) === 0x0a ? f : Buffer.concat([f, b('\n')]));
    return { data: join3(Buffer.concat([...fs, ...copies]), sep, body), tag: `dup-header:${times}`, heavy: times > 2000 };
  },
  removeHeader(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const fs = fields(head);
    if (!fs.length) return { data: buf, tag: 'remove-header' };
    const name = fieldName(rng.pick(fs));
    const kept = fs.filter((f) => fieldName(f) !== name || rng.chance(0.1));
    return { data: join3(Buffer.concat(kept), sep, body), tag: 'remove-header' };
  },
  shuffleHeaders(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    return { data: join3(Buffer.concat(rng.shuffle(fields(head))), sep, body), tag: 'shuffle-headers' };
  },
  addHeader(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const name = rng.chance(0.9) ? rng.pick(ALL_HEADERS) : rng.pick(['', ' ', 'X Bad', 'Subject ', ':', 'x'.repeat(rng.logInt(1, 5000)), '\xe9t\xe9']);
    const line = Buffer.concat([b(`${name}:`), randomHeaderValue(rng), b('\n')]);
    const fs = fields(head);
    fs.splice(rng.int(0, fs.length), 0, line);
    return { data: join3(Buffer.concat(fs), sep, body), tag: 'add-header' };
  },
  longRun(rng, buf) {
    // a very long run of spaces or of one character inside a header (up to 1 MB)
    const { head, sep, body } = splitMessage(buf);
    // mostly headers the usual configurations use ($h_subject:, $reply_address, ...)
    const name = rng.chance(0.4) ? 'Subject' : rng.pick(['From', 'To', 'Reply-To', 'Message-ID', 'References', 'In-Reply-To', 'Content-Type', 'X-Fuzz', 'Auto-Submitted', 'Precedence']);
    const r = run(rng);
    const where = rng.weighted([[1, 0], [1, 1], [2, 2]]); // 2: inside the value, text on both sides
    const before = name === 'Subject' || name === 'X-Fuzz' ? 'Hello' : name.endsWith('ID') || name === 'References' || name === 'In-Reply-To' ? '<a@b.example>' : 'x <x@example.org>';
    const value = where === 0 ? Buffer.concat([r.data, b(before)]) : where === 1 ? Buffer.concat([b(before), r.data]) : Buffer.concat([b(before.slice(0, 2)), r.data, b(before.slice(2))]);
    const line = Buffer.concat([b(`${name}:`), value, b('\n')]);
    const fs = fields(head).filter((f) => fieldName(f) !== name.toLowerCase());
    fs.splice(rng.int(0, fs.length), 0, line);
    const label = r.ch === ' ' ? 'space' : r.ch === '\t' ? 'tab' : `char-${r.ch.charCodeAt(0).toString(16)}`;
    return { data: join3(Buffer.concat(fs), sep, body), tag: `long-run-${label}:${name.toLowerCase()}:${r.n}`, heavy: r.n > 10000, size: r.n };
  },
  deepComments(rng, buf) {
    // deep comment / angle / quote nesting in an address header
    const { head, sep, body } = splitMessage(buf);
    const name = rng.pick(['From', 'To', 'Cc', 'Reply-To', 'Sender', 'Bcc', 'Resent-To']);
    const depth = rng.logInt(10, 200000);
    const shape = rng.int(0, 5);
    let value;
    if (shape === 0) value = `${nested(depth, '(', ')', 'c')} alice@example.org`;
    else if (shape === 1) value = `alice@example.org ${'('.repeat(depth)}`; // unbalanced
    else if (shape === 2) value = `${'<'.repeat(depth)}alice@example.org${'>'.repeat(depth)}`;
    else if (shape === 3) value = `"${'\\"'.repeat(depth)}" <alice@example.org>`;
    else if (shape === 4) value = `${'a:'.repeat(Math.min(depth, 50000))}alice@example.org${';'.repeat(Math.min(depth, 50000))}`;
    else value = `${nested(depth, '(\\(', ')', '')} <alice@example.org>`;
    const fs = fields(head).filter((f) => fieldName(f) !== name.toLowerCase());
    fs.unshift(Buffer.concat([b(`${name}: ${value}`), b('\n')]));
    return { data: join3(Buffer.concat(fs), sep, body), tag: `deep-comments-${shape}:${name.toLowerCase()}:${depth}`, heavy: depth > 5000, size: depth };
  },
  manyAddresses(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const n = rng.logInt(10, 50000);
    const parts = [];
    for (let i = 0; i < n; i++) parts.push(rng.chance(0.5) ? `u${i}@example.org` : `"U, ${i}" <u${i}@example.net>`);
    parts.push('bob@example.com');
    const name = rng.pick(['To', 'Cc', 'Reply-To', 'From', 'Bcc']);
    const line = b(`${name}: ${parts.join(rng.pick([', ', ',\n ', ',']))}\n`);
    return { data: join3(Buffer.concat([line, head]), sep, body), tag: `many-addresses:${n}`, heavy: n > 5000, size: n };
  },
  longReferences(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const n = rng.logInt(2, 50000);
    const ids = [];
    for (let i = 0; i < n; i++) ids.push(rng.chance(0.95) ? `<${i}.${rng.int(0, 1e6)}@refs.example>` : rng.pick(['<>', '<<a@b>>', 'junk', '<x@', '@y>', `<${'x'.repeat(rng.logInt(1, 3000))}@l.example>`]));
    const name = rng.pick(['References', 'In-Reply-To', 'Message-ID']);
    const fs = fields(head).filter((f) => fieldName(f) !== name.toLowerCase());
    fs.push(b(`${name}: ${ids.join(rng.pick([' ', '\n ', '', ',']))}\n`));
    return { data: join3(Buffer.concat(fs), sep, body), tag: `long-references:${n}`, heavy: n > 5000, size: n };
  },
  longLine(rng, buf) {
    // one very long header line (no folding) or body line
    const n = rng.logInt(1000, 1024 * 1024);
    const { head, sep, body } = splitMessage(buf);
    if (rng.chance(0.5)) {
      const line = Buffer.concat([b('X-Long: '), Buffer.alloc(n, rng.pick(['x', 'a b ', '=?', ';'])), b('\n')]);
      return { data: join3(Buffer.concat([head, line]), sep, body), tag: `long-header-line:${n}`, heavy: n > 100000, size: n };
    }
    return { data: join3(head, sep, Buffer.concat([body, Buffer.alloc(n, 'y'), b('\n')])), tag: `long-body-line:${n}`, heavy: n > 100000, size: n };
  },
  truncate(rng, buf) {
    return { data: buf.subarray(0, rng.int(0, buf.length)), tag: 'truncate' };
  },
  spliceRandom(rng, buf) {
    const p = rng.int(0, buf.length);
    const n = rng.logInt(1, 4096);
    return { data: Buffer.concat([buf.subarray(0, p), rng.bytes(n), buf.subarray(rng.int(p, buf.length))]), tag: 'splice-random' };
  },
  lineEndings(rng, buf) {
    const s = buf.toString('latin1');
    const mode = rng.int(0, 3);
    let out;
    if (mode === 0) out = s.replace(/\r?\n/g, '\r\n');
    else if (mode === 1) out = s.replace(/\r\n/g, '\n');
    else if (mode === 2) out = s.replace(/\r?\n/g, () => rng.pick(['\n', '\r\n', '\r', '\n\r']));
    else out = s.replace(/\r?\n/g, '\r');
    return { data: b(out), tag: ['crlf', 'lf', 'mixed-eol', 'cr-only'][mode] };
  },
  mboxLine(rng, buf) {
    const s = buf.toString('latin1');
    if (s.startsWith('From ')) return { data: b(s.slice(s.indexOf('\n') + 1)), tag: 'mbox-remove' };
    const line = rng.pick([
      'From alice@example.org  Mon Jul 13 09:40:57 2026\n', 'From \n', 'From MAILER-DAEMON Mon Jul 13 09:40:57 2026\n',
      'From <> Mon Jul 13 09:40:57 2026\n', `From ${'x'.repeat(rng.logInt(1, 100000))}\n`, 'From alice@example.org\r\n',
      'From "quoted local"@example.org Mon Jul 13 09:40:57 2026\n', 'From a@b\0c Mon\n', 'From\n',
    ]);
    return { data: Buffer.concat([b(line), buf, rng.chance(0.5) ? b('\n') : b('')]), tag: 'mbox-add' };
  },
  noSeparator(rng, buf) {
    const { head, body } = splitMessage(buf);
    return { data: Buffer.concat([head, body]), tag: 'no-separator' };
  },
  foldEverywhere(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const s = head.toString('latin1').replace(/ /g, () => (rng.chance(0.3) ? rng.pick(['\n ', '\n\t', '\r\n ', '\n \n ']) : ' '));
    return { data: join3(b(s), sep, body), tag: 'fold-everywhere' };
  },
  bigBody(rng, buf) {
    const n = rng.logInt(100 * 1024, 8 * 1024 * 1024);
    const fill = rng.chance(0.5) ? rng.bytes(Math.min(n, 65536)) : b('a line of body text\n');
    const parts = [];
    for (let got = 0; got < n; got += fill.length) parts.push(fill);
    return { data: Buffer.concat([buf, ...parts]), tag: `big-body:${n}`, heavy: true, size: n };
  },
  mimeBreak(rng, buf) {
    const { head, sep, body } = splitMessage(buf);
    const ct = rng.pick([
      'multipart/mixed; boundary=""', 'multipart/mixed', `multipart/mixed; boundary="${'b'.repeat(rng.logInt(1, 5000))}"`,
      'multipart/report; report-type=delivery-status', 'multipart/report; report-type=disposition-notification; boundary=x',
      'text/plain; charset="', 'text/plain; charset=\xff', `text/plain; ${'a=b; '.repeat(rng.logInt(1, 20000))}`, 'message/rfc822',
      'multipart/alternative; boundary=--', 'text/plain; charset=utf-8; format=flowed; delsp=yes',
    ]);
    const fs = fields(head).filter((f) => fieldName(f) !== 'content-type');
    fs.push(b(`Content-Type: ${ct}\n`));
    let nb = body;
    if (rng.chance(0.5)) nb = Buffer.concat([b('--x\n--\n--x--\n'.repeat(rng.logInt(1, 1000))), body]);
    return { data: join3(Buffer.concat(fs), sep, nb), tag: 'mime-break' };
  },
};

const MUTATOR_WEIGHTS = [
  [10, 'flipBytes'], [10, 'insertBytes'], [8, 'insertInHeader'], [7, 'encodedWords'], [5, 'duplicateHeader'],
  [6, 'removeHeader'], [3, 'shuffleHeaders'], [8, 'addHeader'], [2, 'longRun'], [2, 'deepComments'],
  [2, 'manyAddresses'], [2, 'longReferences'], [2, 'longLine'], [4, 'truncate'], [4, 'spliceRandom'],
  [4, 'lineEndings'], [4, 'mboxLine'], [2, 'noSeparator'], [3, 'foldEverywhere'], [0.6, 'bigBody'], [3, 'mimeBreak'],
];

/** A mutated seed: 1-5 mutations (at most one heavy one). */
export function mutatedMessage(rng, forced) {
  const seed = rng.pick(loadSeeds());
  let data = seed.data;
  const tags = [];
  let heavy = false;
  let mainTag;
  const n = forced ? 1 : rng.weighted([[5, 1], [3, 2], [2, 3], [1, 4], [1, 5]]);
  for (let i = 0; i < n; i++) {
    let name = forced ?? rng.weighted(MUTATOR_WEIGHTS);
    const r = MUTATORS[name](rng, data);
    if (r.heavy && heavy) continue; // one big thing per case is enough
    data = r.data;
    tags.push(r.tag);
    if (r.heavy) {
      heavy = true;
      mainTag = r.tag;
    }
  }
  return { data, seed: seed.name, tags, heavy, mainTag: mainTag ?? tags[0] };
}

/** Garbage on stdin: random bytes and other things that are not mail. */
export function garbage(rng) {
  const kind = rng.weighted([
    [10, 'random'], [4, 'printable'], [3, 'empty'], [3, 'newlines'], [3, 'colons'], [2, 'nul'], [2, 'one-line'],
    [2, 'utf16'], [2, 'headers-only'], [2, 'from-only'], [1, 'huge-random'], [1, 'huge-line'], [2, 'binary-seed'],
  ]);
  let data;
  switch (kind) {
    case 'random': data = rng.bytes(rng.logInt(1, 65536)); break;
    case 'printable': {
      const n = rng.logInt(1, 65536);
      data = Buffer.alloc(n);
      for (let i = 0; i < n; i++) data[i] = rng.chance(0.05) ? 10 : rng.int(32, 126);
      break;
    }
    case 'empty': data = Buffer.alloc(0); break;
    case 'newlines': data = Buffer.from(rng.pick(['\n', '\r\n', '\r', '\n\r']).repeat(rng.logInt(1, 100000)), 'latin1'); break;
    case 'colons': {
      const lines = [];
      for (let i = rng.logInt(1, 3000); i > 0; i--) lines.push(`${rng.pick(['', ':', 'a', 'From', 'To', '\xff'])}:${rng.pick(['', ' ', ':', ' x', '\t'])}`);
      data = b(lines.join(rng.pick(['\n', '\r\n', '\r'])));
      break;
    }
    case 'nul': data = Buffer.alloc(rng.logInt(1, 200000), 0); break;
    case 'one-line': data = Buffer.alloc(rng.logInt(1, 300000), rng.pick(['a', ' ', ':', 'F'])); break;
    case 'utf16': data = Buffer.concat([b('\xff\xfe'), Buffer.from('From: a@b.example\r\nTo: bob@example.com\r\n\r\nhi\r\n', 'utf16le')]); break;
    case 'headers-only': data = b('From: alice@example.org\nTo: bob@example.com\nSubject: no body, no separator'); break;
    case 'from-only': data = b(rng.pick(['From ', 'From alice@example.org Mon Jul 13 09:40:57 2026', 'From alice@example.org Mon Jul 13 09:40:57 2026\n\n'])); break;
    case 'huge-random': data = rng.bytes(rng.logInt(512 * 1024, 4 * 1024 * 1024)); break;
    case 'huge-line': data = Buffer.alloc(rng.logInt(512 * 1024, 3 * 1024 * 1024), rng.pick(['x', ' ', '\t'])); break;
    case 'binary-seed': {
      const seed = rng.pick(loadSeeds()).data;
      data = Buffer.concat([seed.subarray(0, rng.int(0, seed.length)), rng.bytes(rng.logInt(1, 20000))]);
      break;
    }
  }
  return { data, tags: [kind], heavy: data.length > 300000, mainTag: kind };
}
