/**
 * `once` values: a path is LMDB, a URL names a PostgreSQL or Redis server.
 * Every form, the defaults, `where` (never the password), redaction, and bad
 * URLs (exit 78, one line, no password).
 */
import t, { type Test } from 'tap';
import { inspect } from 'node:util';
import { userInfo } from 'node:os';
import { parseOnceTarget, redactUrl, isOnceUrl, seconds, describeNetworkError } from '../../src/once/url.js';

const ENV = {} as NodeJS.ProcessEnv;
const parse = (v: string, env: NodeJS.ProcessEnv = ENV) => parseOnceTarget(v, env);

/** Plain data, the hidden password made visible as `password`. */
const seen = (v: string, env?: NodeJS.ProcessEnv) => {
  const tg = parse(v, env) as { password?: string };
  const out = JSON.parse(JSON.stringify(tg)) as Record<string, unknown>;
  if (tg.password !== undefined) out.password = tg.password;
  return out;
};

function bad(t: Test, value: string, why: RegExp, secret?: string) {
  try {
    parse(value);
    t.fail(`accepted: ${value}`);
  } catch (e) {
    const err = e as { exitCode?: number; message: string };
    t.equal(err.exitCode, 78, `exit 78: ${err.message}`);
    t.notMatch(err.message, /\n/, 'one line');
    t.match(err.message, /^once database /);
    t.match(err.message, why);
    if (secret) t.notOk(err.message.includes(secret), 'no password');
  }
}

t.test('paths are LMDB', async (t) => {
  for (const p of ['/var/spool/autoreply/bob', 'relative/once', '.vacation', 'C:odd', 'a:b', '']) {
    t.same(parse(p), { kind: 'lmdb', path: p, where: p }, JSON.stringify(p));
    t.notOk(isOnceUrl(p));
  }
  t.ok(isOnceUrl('redis://x'));
});

t.test('PostgreSQL', async (t) => {
  const me = userInfo().username;
  t.same(seen('postgresql://app:s3cret@db.example:5433/mail'), {
    kind: 'postgres',
    where: 'postgresql://app@db.example:5433/mail',
    host: 'db.example',
    socket: false,
    port: 5433,
    database: 'mail',
    user: 'app',
    table: 'autoreply_once',
    tls: { mode: 'disable' },
    applicationName: 'autoreply',
    password: 's3cret',
  });
  t.same(seen('postgres://app@db.example/mail'), {
    kind: 'postgres',
    where: 'postgres://app@db.example:5432/mail',
    host: 'db.example',
    socket: false,
    port: 5432,
    database: 'mail',
    user: 'app',
    table: 'autoreply_once',
    tls: { mode: 'disable' },
    applicationName: 'autoreply',
  });
  // a Unix socket: ?host=DIR, or the host percent-encoded
  const sock = seen('postgresql://app:pw@/mail?host=/run/postgresql&table=Once_Entries');
  t.match(sock, { where: 'postgresql://app@/mail?host=/run/postgresql', host: '/run/postgresql', socket: true, port: 5432, table: 'once_entries', password: 'pw' });
  t.match(seen('postgresql://%2Fvar%2Frun%2Fpostgresql:6000/mail'), {
    where: `postgresql://${me}@/mail?host=/var/run/postgresql&port=6000`,
    host: '/var/run/postgresql',
    socket: true,
    port: 6000,
    user: me,
  });
  // defaults: libpq's socket directory, PGUSER or the system user, the database named like the user; PG* variables
  t.match(seen('postgresql://'), { host: '/var/run/postgresql', socket: true, port: 5432, user: me, database: me });
  t.match(seen('postgresql:///', { PGHOST: 'pg.example', PGPORT: '6543', PGUSER: 'u', PGDATABASE: 'd' }), {
    where: 'postgresql://u@pg.example:6543/d',
    host: 'pg.example',
    port: 6543,
    user: 'u',
    database: 'd',
  });
  t.match(seen('postgresql://[::1]:5433/db?user=other&password=qp&dbname=db2&port=5434'), {
    where: 'postgresql://other@[::1]:5434/db2',
    host: '::1',
    port: 5434,
    user: 'other',
    database: 'db2',
    password: 'qp',
  });
  // percent-encoding in every part; '+' stays a plus
  t.match(seen('postgresql://us%40er:p%40ss%3Aw%2Frd%3F%23%25@h/my%20db+x'), { user: 'us@er', password: 'p@ss:w/rd?#%', database: 'my db+x', where: 'postgresql://us%40er@h:5432/my%20db%2Bx' });
  t.match(seen('postgresql://h/db?table=mail.autoreply'), { table: 'autoreply', schema: 'mail' });
  // TLS
  t.match(seen('postgresql://h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem'), { tls: { mode: 'verify-full', rootCert: '/etc/ca.pem' } });
  t.match(seen('postgresql://h/db?sslrootcert=/etc/ca.pem'), { tls: { mode: 'verify-ca', rootCert: '/etc/ca.pem' } }, 'libpq: a root certificate alone means verify-ca');
  t.match(seen('postgresql://h/db?sslmode=require&sslcert=/c.pem&sslkey=/k.pem&application_name=mx1'), {
    tls: { mode: 'require', cert: '/c.pem', key: '/k.pem' },
    applicationName: 'mx1',
  });
  // the password is not enumerable: never printed with the target
  const tg = parse('postgresql://app:hidden-pw@h/db');
  t.notMatch(JSON.stringify(tg), /hidden-pw/);
  t.notMatch(inspect(tg), /hidden-pw/);
  t.equal((tg as { password?: string }).password, 'hidden-pw');
});

t.test('Redis', async (t) => {
  t.same(seen('redis://:s3cret@cache.example:6380/2?prefix=ar:'), {
    kind: 'redis',
    where: 'redis://cache.example:6380/2',
    db: 2,
    prefix: 'ar:',
    host: 'cache.example',
    port: 6380,
    password: 's3cret',
  });
  t.same(seen('redis://'), { kind: 'redis', where: 'redis://127.0.0.1:6379', db: 0, prefix: 'autoreply:once:', host: '127.0.0.1', port: 6379 });
  t.same(seen('redis://mail:pw@[::1]'), { kind: 'redis', where: 'redis://mail@[::1]:6379', db: 0, prefix: 'autoreply:once:', host: '::1', port: 6379, username: 'mail', password: 'pw' });
  t.same(seen('rediss://h:6390?ca=/etc/redis/ca.pem&servername=redis.example&db=3&password=p%26w'), {
    kind: 'redis',
    where: 'rediss://h:6390/3',
    db: 3,
    prefix: 'autoreply:once:',
    host: 'h',
    port: 6390,
    tls: { ca: '/etc/redis/ca.pem', servername: 'redis.example' },
    password: 'p&w',
  });
  t.same(seen('rediss://h'), { kind: 'redis', where: 'rediss://h:6379', db: 0, prefix: 'autoreply:once:', host: 'h', port: 6379, tls: {} });
  for (const scheme of ['redis+unix', 'unix']) {
    t.same(seen(`${scheme}:///run/redis/redis.sock?db=1&password=pw&username=mail&prefix=x%3Ay:`), {
      kind: 'redis',
      where: `${scheme}:///run/redis/redis.sock?username=mail&db=1`,
      db: 1,
      prefix: 'x:y:',
      path: '/run/redis/redis.sock',
      username: 'mail',
      password: 'pw',
    });
  }
  t.same(seen('unix:///tmp/my%20dir/r.sock'), { kind: 'redis', where: 'unix:///tmp/my%20dir/r.sock', db: 0, prefix: 'autoreply:once:', path: '/tmp/my dir/r.sock' });
  t.match(seen('redis://h?prefix=%E2%82%AC*'), { prefix: '\u20ac*' });
  t.notMatch(inspect(parse('redis://:hidden-pw@h')), /hidden-pw/);
  t.notMatch(JSON.stringify(parse('unix:///s?password=hidden-pw')), /hidden-pw/);
});

t.test('bad URLs: exit 78, one line saying what is wrong, never the password', async (t) => {
  bad(t, 'mysql://u:pw@h/db', /unsupported scheme "mysql:\/\/"/, 'pw');
  bad(t, 'postgresql://u:secret@h:99999/db', /bad port "99999"/, 'secret');
  bad(t, 'postgresql://u:secret@h:5432/db?table=drop table', /space or control character must be percent-encoded/, 'secret');
  bad(t, 'postgresql://u:secret@h/db?table=x%3By', /bad table name "x;y"/, 'secret');
  bad(t, 'postgresql://u:secret@h/db?table=a.b.c', /bad table name/, 'secret');
  bad(t, `postgresql://h/db?table=${'t'.repeat(41)}`, /longer than 40 characters/);
  bad(t, 'postgresql://u:secret@h/db?sslmode=prefer', /sslmode=prefer is not supported/, 'secret');
  bad(t, 'postgresql://h/db?sslmode=bogus', /bad sslmode "bogus"/);
  bad(t, 'postgresql://h/db?connect_timeout=3', /use --once-timeout/);
  bad(t, 'postgresql://u:secret@h/db?options=-c%20x', /unknown parameter "options" \(known: host, port/, 'secret');
  bad(t, 'postgresql://h1,h2/db', /several hosts are not supported/);
  bad(t, 'postgresql://h/db?host=a,b', /several hosts/);
  bad(t, 'postgresql://u:pa%zzss@h/db', /bad percent-escape in the password/, 'pa%zzss');
  bad(t, 'postgresql://u:sec#ret@h/db', /'#' must be written %23/, 'sec#ret');
  bad(t, 'postgresql://u:secret@h/db?table=a&table=b', /parameter "table" is given twice/, 'secret');
  bad(t, 'postgresql:///db?host=/run/pg&sslmode=require', /TLS is for TCP connections/);
  bad(t, 'postgresql://h/db?sslcert=/c.pem', /sslcert\/sslkey need sslmode/);
  bad(t, 'postgresql://h/db?sslmode=require&sslcert=/c.pem', /sslcert and sslkey go together/);
  bad(t, 'postgresql://[::1/db', /closing "\]"/);
  bad(t, 'redis://:secret@h:0', /bad port "0"/, 'secret');
  bad(t, 'redis://:secret@h/x', /bad database number "x"/, 'secret');
  bad(t, 'redis://:secret@h/1?db=2', /database number is given twice/, 'secret');
  bad(t, 'redis://:secret@h?password=other', /password is given twice/, 'secret');
  bad(t, 'redis://:secret@h?prefix=', /prefix must not be empty/, 'secret');
  bad(t, 'redis://h?prefix=a%00b', /must not contain a NUL/);
  bad(t, 'redis://:secret@h?ca=/x.pem', /"ca" is for rediss:\/\//, 'secret');
  bad(t, 'redis://:secret@h?timeout=1', /unknown parameter "timeout" \(known: prefix, db, username, password\)/, 'secret');
  bad(t, 'redis+unix://run/redis.sock', /socket path must be absolute/);
  bad(t, 'unix://u:secret@/run/redis.sock', /no user part: give \?username= and \?password=/, 'secret');
  bad(t, 'unix://', /no socket path/);
  bad(t, 'redis://:secret@h\n', /redis:\/\/:\*\*\*@h\\x0a: a space or control character/, 'secret');
});

t.test('redactUrl', async (t) => {
  const cases: [string, string][] = [
    ['postgresql://app:s3cret@db/mail', 'postgresql://app:***@db/mail'],
    ['redis://:s3cret@h:6379/0', 'redis://:***@h:6379/0'],
    ['redis://user@h', 'redis://user@h'],
    ['redis://h:6379', 'redis://h:6379'],
    ['unix:///s.sock?db=1&password=s3cret&prefix=x', 'unix:///s.sock?db=1&password=***&prefix=x'],
    ['postgresql://h/db?password=s3cret', 'postgresql://h/db?password=***'],
    // unescaped '@' or '/' in the password: more goes, never less
    ['postgresql://app:se@cr/et@db/mail', 'postgresql://app:***@db/mail'],
    ['redis://:s3cret@h/?prefix=a@b', 'redis://:***@b'],
    ['/var/spool/once', '/var/spool/once'],
  ];
  for (const [v, want] of cases) t.equal(redactUrl(v), want, v);
});

t.test('words for failures', async (t) => {
  t.equal(seconds(5000), '5 s');
  t.equal(seconds(1500), '1.5 s');
  t.equal(seconds(250), '0.25 s');
  t.equal(describeNetworkError({ code: 'ECONNREFUSED' }), 'connection refused');
  t.equal(describeNetworkError({ code: 'ENOENT', address: '/run/x.sock' }), 'no server socket at /run/x.sock (no such file)');
  t.equal(describeNetworkError({ code: 'ENOTFOUND', hostname: 'nowhere.example' }), 'host not found: nowhere.example');
  t.match(describeNetworkError({ code: 'CERT_HAS_EXPIRED' }), /^TLS failure: the server's certificate has expired/);
  t.match(describeNetworkError({ code: 'ERR_SSL_SOMETHING_NEW', message: 'odd\nthing' }), /^TLS failure: odd thing$/);
  t.equal(describeNetworkError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, { ca: undefined, option: 'ca' }), "TLS failure: the server's certificate is not trusted (self-signed); give the CA that signed it with ?ca=FILE");
  t.equal(describeNetworkError({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, { ca: '/etc/ca.pem', option: 'sslrootcert' }), "TLS failure: the server's certificate is not trusted (unknown issuer); the CA in /etc/ca.pem did not sign it");
  t.equal(describeNetworkError({ code: 'ETIMEDOUT' }), undefined);
  t.equal(describeNetworkError({ message: 'x' }), undefined);
});
