// Random Exim expansion strings (SPEC section 4): random trees of items,
// operators and conditions, deep nesting, unbalanced braces, catastrophic
// regular expressions, readfile of endless files. Strings only; where they go
// (flags or a --config file) is decided in cases.mjs.
//
// Safety: nothing generated here runs a command or opens a socket even if the
// program wrongly supported it (run only ever names /bin/true, readsocket and
// dlfunc name paths that do not exist), and these strings never go into path
// options (once, log, file): see cases.mjs.

export const VARIABLES = [
  'reply_address', 'sender_address', 'return_path', 'local_part', 'local_part_prefix', 'local_part_suffix', 'domain',
  'home', 'message_exim_id', 'primary_hostname', 'qualify_domain', 'message_headers', 'message_headers_raw',
  'message_body', 'message_body_end', 'message_body_size', 'body_linecount', 'tod_full', 'tod_log', 'tod_zone',
  'tod_bsdinbox', 'tod_epoch',
];
const BAD_VARIABLES = ['nonesuch', 'message_id', 'recipients', 'sender_host_address', 'acl_m0', '0', '1', '9', 'value', 'item', '_'];
const HEADERS = ['subject', 'from', 'to', 'cc', 'reply-to', 'message-id', 'references', 'in-reply-to', 'x-fuzz',
  'content-type', 'received', 'date', 'x-nonexistent', 'list-id', 'auto-submitted', 'SUBJECT', 'From'];
const HEADER_PREFIXES = ['h_', 'header_', 'rh_', 'rheader_', 'bh_', 'bheader_'];

const UNARY = [
  'lc', 'uc', 'strlen', 'address', 'addresses', 'domain', 'local_part', 'quote', 'rfc2047', 'rfc2047d', 'escape',
  'base64', 'base64d', 'md5', 'sha1', 'sha256', 'eval', 'eval10', 'hex2b64', 'str2b64', 'base32', 'base32d',
  'base62', 'base62d', 'escape8bit', 'headerwrap', 'utf8clean', 'listcount', 'quote_local_part', 'rxquote',
  'from_utf8', 'time_eval', 'time_interval', 'hexquote', 'stat', 'expand', 'mask', 'reverse_ip', 'ipv6norm',
  'ipv6denorm', 'sha3', 'sha2', 'hash_3', 'nhash_5', 'length_3', 'length_0', 'substr_1_2', 'substr_-3', 'l_2', 's_1_1',
  'h_4', 'randint', 'utf8_domain_to_alabel', 'quote_lsearch', 'bogus_op', 'length_', 'substr_x_y',
];
const REGEXES = [
  '^[a-z]+\\$', '\\\\s+', '(?i)re:', '^(.*?)@(.*)\\$', '[', '(', '*', 'a{2,}', '\\\\d{3}', '(?x) a b c # comment',
  '(?s).*', '(?m)^x\\$', '\\\\Qa.b\\\\E', '[[:alpha:]]+', '(?P<n>a)(?P=n)', '(?>a+)', 'a++', '(?R)', '\\\\K',
  '(?<=a)b', '(?<!a)b', '\\\\x{41}', '\\\\o{101}', '\\\\g{1}', '(a)|\\\\1', '[]a]', '[^]a]', '\\\\Z', '\\\\A', '\\\\z', '',
  '\\N^a{2,3}$\\N', '\\N\\d{3}-\\w+\\N', '\\N(?i)^re:\\s*(.*)$\\N', '\\N^(.*)<([^>]*)>$\\N', '\\N[\\x00-\\x1f]\\N',
];
/**
 * Regexes with exponential or heavy polynomial backtracking, written between \N...\N so that
 * the expander passes them on untouched (braces and $ included).
 */
export const CATASTROPHIC = [
  '^(a+)+$', '^(a|a)+$', '^(a|aa)+$', '^(a*)*$', '(a+)+b', '^(\\w+\\s?)+$', '^([a-z]+)*[0-9]$',
  '(.*a){25}', '^(a?){30}a{30}$', '^(([a-z])+.)+[A-Z]([a-z])+$', '(x+x+)+y', '^(a+)+(b|c)$',
].map((re) => `\\N${re}\\N`);
const READFILE_PATHS = ['/dev/null', '/proc/self/status', '/etc/hostname', '/', '/nonexistent/file',
  '/proc/self/fd/0', '@CASE@/run/home/.vacation.msg', '@CASE@/run/nope', '/proc/self/maps'];
/** Endless files: each run that reads one costs seconds until the memory cap, so they are rare here (see readfileBomb). */
const ENDLESS = ['/dev/zero', '/dev/urandom'];
const readfilePath = (rng) => (rng.chance(0.03) ? rng.pick(ENDLESS) : rng.pick(READFILE_PATHS));

function word(rng) {
  return rng.pick(['a', 'b', 'abc', 'Re:', 'hello world', 'x@y.example', 'Alice <alice@example.org>', '1', '0', '-1',
    '42', 'yes', 'no', 'true', 'false', '', ' ', 'a:b:c', '<, a,b', '<;a;b', 'caf\u00e9', '\u2603', '\xff', 'K', '99999999999999999999',
    'bob@example.com', '=?utf-8?q?x?=', '%s%n', 'aaaaaaaaaa', '$', '\\N', 'key1=val1 key2="v 2"']);
}

function literal(rng) {
  let s = '';
  for (let i = rng.int(1, 4); i > 0; i--) {
    s += rng.weighted([
      [10, () => word(rng)],
      [2, () => rng.pick(['\\n', '\\t', '\\r', '\\\\', '\\$', '\\{', '\\}', '\\101', '\\x41', '\\xZZ', '\\777', '\\0', '\\', '\\q'])],
      [1, () => `\\N${rng.pick(['${if', '$x', '}{', 'plain'])}\\N`],
      [1, () => '\\N unterminated'],
    ])();
  }
  return s;
}

export function variable(rng) {
  return rng.weighted([
    [8, () => { const v = rng.pick(VARIABLES); return rng.chance(0.5) ? `$${v}` : `\${${v}}`; }],
    [8, () => `$${rng.pick(HEADER_PREFIXES)}${rng.pick(HEADERS)}${rng.chance(0.9) ? ':' : ''}`],
    [1, () => `\${${rng.pick(HEADER_PREFIXES)}${rng.pick(HEADERS)}:}`],
    [1, () => rng.chance(0.5) ? `$${rng.pick(BAD_VARIABLES)}` : `\${${rng.pick(BAD_VARIABLES)}}`],
    [1, () => rng.pick(['$', '${', '$}', '${}', '$ x', '$h_:', '$h_', '$-'])],
  ])();
}

function evalExpr(rng, depth) {
  if (depth <= 0 || rng.chance(0.35)) {
    return rng.pick(['0', '1', '-1', '7', '0x1F', '010', '3K', '2M', '1G', '9223372036854775807', '-9223372036854775808',
      '99999999999999999999', '0x', '08', '1e3', ' 5 ', '', 'x', '$message_body_size', '$tod_epoch', '$body_linecount', '${strlen:$h_subject:}']);
  }
  const op = rng.pick(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
  return rng.weighted([
    [5, () => `${evalExpr(rng, depth - 1)}${op}${evalExpr(rng, depth - 1)}`],
    [2, () => `(${evalExpr(rng, depth - 1)})`],
    [1, () => `${rng.pick(['-', '~', '+'])}${evalExpr(rng, depth - 1)}`],
    [1, () => `${evalExpr(rng, depth - 1)}/0`],
    [1, () => '-9223372036854775808/-1'],
    [1, () => '1<<64'],
  ])();
}

export function condition(rng, depth) {
  const s = () => expansion(rng, depth - 1);
  return rng.weighted([
    [3, () => `def:${rng.chance(0.6) ? `h_${rng.pick(HEADERS)}:` : rng.pick([...VARIABLES, 'nonesuch'])}`],
    [2, () => `!${condition(rng, depth - 1)}`],
    [4, () => `${rng.pick(['eq', 'eqi', 'lt', 'le', 'gt', 'ge', 'lti', 'lei', 'gti', 'gei', 'inlist', 'inlisti'])}{${s()}}{${s()}}`],
    [3, () => `match{${s()}}{${rng.chance(0.8) ? rng.pick(REGEXES) : s()}}`],
    [2, () => `${rng.pick(['=', '<', '<=', '>', '>=', '=='])}{${rng.chance(0.6) ? evalExpr(rng, 2) : s()}}{${evalExpr(rng, 2)}}`],
    [2, () => `${rng.pick(['and', 'or'])}{${Array.from({ length: rng.int(0, 3) }, () => `{${condition(rng, depth - 1)}}`).join('')}}`],
    [1, () => `${rng.pick(['bool', 'bool_lax'])}{${rng.pick(['yes', 'no', 'true', '0', '1', 'maybe', ' y '])}}`],
    [1, () => `exists{${readfilePath(rng)}}`],
    [1, () => rng.pick(['isip{1.2.3.4}', 'crypteq{a}{b}', 'forall{a:b}{eq{$item}{a}}', 'first_delivery', 'pam{x}', 'match_address{a@b}{a@b}', 'nonsense', '', 'eq{a}', 'eq{a}{b}{c}'])],
  ])();
}

/** A random expansion string, about `depth` levels deep. */
export function expansion(rng, depth = 4) {
  if (depth <= 0) return rng.chance(0.5) ? literal(rng) : variable(rng);
  const parts = [];
  for (let i = rng.weighted([[5, 1], [3, 2], [1, 3]]); i > 0; i--) {
    const e = () => expansion(rng, depth - 1);
    parts.push(rng.weighted([
      [5, () => literal(rng)],
      [6, () => variable(rng)],
      [6, () => `\${if ${condition(rng, depth)}${rng.weighted([[4, () => `{${e()}}{${e()}}`], [2, () => `{${e()}}`], [1, () => ''], [1, () => `{${e()}}fail`]])()}}`],
      [6, () => `\${${rng.pick(UNARY)}:${e()}}`],
      [3, () => `\${sg{${e()}}{${rng.chance(0.7) ? rng.pick(REGEXES) : e()}}{${rng.pick(['x', '$1', '\\$0', '<$1>', '', e()])}}}`],
      [2, () => `\${tr{${e()}}{${rng.pick(['abc', 'a-z', '', e()])}}{${rng.pick(['xyz', 'A-Z', '', 'x'])}}}`],
      [3, () => `\${extract{${rng.pick(['1', '2', '0', '-1', '99', 'key1', 'key2', 'nokey', e()])}}${rng.chance(0.5) ? `{${rng.pick([':', ' ', ',', '', '@.'])}}` : ''}{${e()}}${rng.chance(0.3) ? `{${e()}}{${e()}}` : ''}}`],
      [3, () => `\${substr{${rng.pick(['0', '1', '-1', '-5', '99999', 'x', '', e()])}}{${rng.pick(['0', '3', '-2', '99999999999', ''])}}{${e()}}}`],
      [2, () => `\${length{${rng.pick(['0', '3', '-1', 'abc', '99999999999'])}}{${e()}}}`],
      [2, () => `\${readfile{${readfilePath(rng)}}${rng.chance(0.3) ? '{ }' : ''}}`],
      [1, () => `\${env{${rng.pick(['HOME', 'PATH', 'SENDER', 'NONESUCH', '', 'A=B'])}}${rng.chance(0.3) ? `{${e()}}{${e()}}` : ''}}`],
      [2, () => `\${eval:${evalExpr(rng, 3)}}`],
      [1, () => `\${${rng.pick(['hash', 'nhash', 'hmac', 'listextract', 'map', 'reduce', 'filter', 'sort', 'lookup', 'prvs', 'srs_encode', 'certextract', 'acl', 'authresults', 'imapfolder', 'listquote'])}{${e()}}{${e()}}${rng.chance(0.5) ? `{${e()}}` : ''}}`],
      [1, () => rng.pick(['${run{/bin/true}}', '${perl{x}}', '${dlfunc{/nonexistent/x.so}{f}}', '${readsocket{/nonexistent/socket}{x}}',
        '${lookup{a}lsearch{/nonexistent}}', '${lookup mysql{select 1}}', '${if}', '${}', '${:x}', '${lc}', '${lc:', '${sg{a}{b}}'])],
    ])());
  }
  return maybeBreak(rng, parts.join(''));
}

/** Now and then, damage the syntax: drop or add braces, cut the string. */
function maybeBreak(rng, s) {
  if (!rng.chance(0.04) || !s.length) return s;
  const p = rng.int(0, s.length);
  return rng.weighted([
    [3, () => s.slice(0, p) + s.slice(p + 1)],
    [3, () => `${s.slice(0, p)}${rng.pick(['{', '}', '$', '\\', '${', '}}', '{{'])}${s.slice(p)}`],
    [1, () => s.slice(0, p)],
  ])();
}

/** Nesting wrappers for deepNest: [open, close, inner]. */
const NESTS = {
  if: () => ['${if eq{a}{a}{', '}}', 'x'],
  'if-else': () => ['${if eq{a}{b}{no}{', '}}', 'x'],
  'if-cond-and': () => ['${if and{{', '}}{y}{n}}', 'eq{a}{a}'],
  'cond-and': null, // built specially: one if with deeply nested and{{...}}
  sg: () => ['${sg{', '}{a}{b}}', 'aaa'],
  extract: () => ['${extract{1}{:}{', '}}', 'a:b'],
  substr: () => ['${substr{0}{100}{', '}}', 'abc'],
  lc: () => ['${lc:', '}', 'ABC'],
  length: () => ['${length_50:', '}', 'abc'],
  tr: () => ['${tr{', '}{a}{b}}', 'aaa'],
  'eval-parens': null,
  'eval-unary': null,
  braces: () => ['{', '}', 'x'],
  'backslash-N': null,
  'header-var': () => ['${if def:h_subject:{$h_subject:', '}}', ''],
  mixed: null,
};

/** Thousands of levels of one item (or a mix), balanced or not. */
export function deepNest(rng) {
  const shape = rng.pick(Object.keys(NESTS));
  const depth = rng.logInt(50, 30000);
  const unbalanced = rng.chance(0.2);
  let text;
  if (shape === 'cond-and') {
    text = `\${if ${'and{{'.repeat(depth)}eq{a}{a}${'}}'.repeat(unbalanced ? Math.floor(depth / 2) : depth)}{y}{n}}`;
  } else if (shape === 'eval-parens') {
    text = `\${eval:${'('.repeat(depth)}1${')'.repeat(unbalanced ? depth - 1 : depth)}}`;
  } else if (shape === 'eval-unary') {
    text = `\${eval:${rng.pick(['-', '~', '+', '-~'])[0].repeat(depth)}1}`;
  } else if (shape === 'backslash-N') {
    text = '\\N${\\N'.repeat(depth) + '}'.repeat(unbalanced ? 0 : depth);
  } else if (shape === 'mixed') {
    const opens = [];
    for (let i = 0; i < depth; i++) opens.push(NESTS[rng.pick(['if', 'if-else', 'sg', 'extract', 'substr', 'lc', 'length', 'tr'])]());
    text = opens.map((o) => o[0]).join('') + 'x' + opens.reverse().map((o) => o[1]).join('');
    if (unbalanced) text = text.slice(0, rng.int(0, text.length));
  } else {
    const [open, close, inner] = NESTS[shape]();
    text = open.repeat(depth) + inner + close.repeat(unbalanced ? rng.int(0, depth - 1) : depth);
  }
  return { text, tag: `deep-nest-${shape}${unbalanced ? '-unbalanced' : ''}:${depth}`, heavy: depth > 2000, size: depth };
}

/**
 * A catastrophic regex matched against message data. Returns the expansion and
 * the header line to add to the message so that the data is there.
 */
export function catastrophic(rng) {
  const re = rng.pick(CATASTROPHIC);
  const n = rng.int(10, 34);
  const data = re.includes('x+x+') ? 'x'.repeat(n) : `${'a'.repeat(n)}!`;
  // ($rh_ keeps the space after the colon: an anchored pattern then fails at once, so mostly $h_)
  const where = rng.weighted([[4, '$h_x-fuzz:'], [1, '$rh_x-fuzz:'], [2, '${lc:$h_x-fuzz:}'], [2, '$message_body'], [1, '${sg{$h_x-fuzz:}{b}{a}}']]);
  const use = rng.chance(0.7)
    ? `\${if match{${where}}{${re}}{matched}{no match}}`
    : `\${sg{${where}}{${re}}{z}}`;
  return { text: use, header: `X-Fuzz: ${data}`, body: data, tag: `catastrophic-regex:${n}`, heavy: true, size: n };
}

export function readfileBomb(rng) {
  const p = rng.pick(['/dev/zero', '/dev/urandom', '/dev/zero', '/proc/self/fd/0']);
  const t = rng.pick([
    `\${readfile{${p}}}`, `\${strlen:\${readfile{${p}}}}`, `\${if eq{\${readfile{${p}}{}}}{x}{y}{n}}`,
    `\${length_10:\${readfile{${p}}}}`, `\${md5:\${readfile{${p}}}}`,
  ]);
  return { text: t, tag: `readfile-${p.split('/').pop()}`, heavy: true };
}

/** Random characters with the expansion metacharacters sprinkled in. */
export function randomChars(rng) {
  const n = rng.logInt(1, 3000);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += rng.weighted([
      [6, () => String.fromCharCode(rng.int(32, 126))],
      [2, () => rng.pick(['$', '{', '}', '\\', ':', '_'])],
      [1, () => String.fromCharCode(rng.int(128, 255))],
      [0.3, () => String.fromCharCode(rng.int(1, 31))],
    ])();
  }
  return s;
}
