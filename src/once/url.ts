/**
 * What a `once` value names (SPEC 6): an LMDB file (a plain path), or a shared
 * server — PostgreSQL or Redis — given as a URL. This module only parses; it
 * loads no client, so that a delivery on LMDB pays nothing for the servers.
 *
 *   /var/spool/autoreply/bob                          LMDB
 *   postgresql://app:secret@db.example:5432/mail      PostgreSQL over TCP (postgres:// too)
 *   postgresql://app@/mail?host=/run/postgresql       PostgreSQL on a Unix socket (its directory)
 *     ?table=NAME (default autoreply_once; schema.name allowed), sslmode=disable|require|verify-ca|verify-full,
 *     sslrootcert=, sslcert=, sslkey=, application_name=, password=, user=, dbname=, port=, host=
 *   redis://[user[:password]@]host[:port][/db]        Redis over TCP
 *   rediss://...?ca=/etc/ssl/redis-ca.pem             Redis over TLS (ca=, servername=)
 *   redis+unix:///run/redis/redis.sock?db=1&password=...   Redis on a Unix socket (unix:// too)
 *     ?prefix=PREFIX (default autoreply:once:), db=, username=, password=
 *
 * Percent-escapes (%XX) are decoded in every part; '+' stays a plus sign (as
 * libpq does). Every target carries `where`: the URL as messages show it —
 * scheme, user, host:port or socket path, database — never the password. A
 * malformed value is a configuration error (exit 78) in one line, which never
 * shows the password either.
 */
import { userInfo } from 'node:os';
import { configError, dataError } from '../errors.js';

export interface LmdbTarget {
  kind: 'lmdb';
  path: string;
  where: string;
}

/** TLS for PostgreSQL, libpq's sslmode: disable, require (encrypt, no check), verify-ca (the CA), verify-full (the CA and the host name). */
export interface PostgresTls {
  mode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  /** PEM files (read when connecting). */
  rootCert?: string;
  cert?: string;
  key?: string;
}

export interface PostgresTarget {
  kind: 'postgres';
  where: string;
  /** A host name or address, or the directory of the server's Unix socket (`socket`). */
  host: string;
  socket: boolean;
  port: number;
  database: string;
  user: string;
  /** From the URL (not enumerable: never printed with the target). */
  readonly password?: string;
  /** The table, an unquoted SQL identifier folded to lower case; `schema` when given as schema.table. */
  table: string;
  schema?: string;
  tls: PostgresTls;
  applicationName: string;
}

export interface RedisTarget {
  kind: 'redis';
  where: string;
  /** TCP: host and port; a Unix socket: path. */
  host?: string;
  port?: number;
  path?: string;
  /** rediss://: TLS, trusting `ca` (a PEM file) or the system's CAs. */
  tls?: { ca?: string; servername?: string };
  username?: string;
  /** From the URL (not enumerable: never printed with the target). */
  readonly password?: string;
  db: number;
  /** Every key of ours starts with it (bytes: the UTF-8 of the value). */
  prefix: string;
}

export type OnceTarget = LmdbTarget | PostgresTarget | RedisTarget;

export const DEFAULT_TABLE = 'autoreply_once';
export const DEFAULT_PREFIX = 'autoreply:once:';
/** Where libpq (Debian's build) looks for the server's socket when the URL names no host. */
export const DEFAULT_PG_SOCKET_DIR = '/var/run/postgresql';
/** Table names leave room for the names derived from them (NAME_rate, NAME_claim, NAME_last_reply_idx) within PostgreSQL's 63 bytes. */
const MAX_TABLE_NAME = 40;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Is this `once` value a URL (rather than a path)? */
export function isOnceUrl(value: string): boolean {
  return SCHEME.test(value);
}

/**
 * The target a `once` value names. `env` supplies libpq's defaults for
 * PostgreSQL (PGHOST, PGPORT, PGUSER, PGDATABASE); nothing else is read.
 */
export function parseOnceTarget(value: string, env: NodeJS.ProcessEnv = process.env): OnceTarget {
  const m = SCHEME.exec(value);
  if (!m) return { kind: 'lmdb', path: value, where: value };
  const scheme = m[1]!.toLowerCase();
  switch (scheme) {
    case 'postgresql':
    case 'postgres':
      return parsePostgres(value, scheme, env);
    case 'redis':
    case 'rediss':
    case 'redis+unix':
    case 'unix':
      return parseRedis(value, scheme);
    default:
      throw bad(value, `unsupported scheme "${scheme}://" (use a file path, postgresql://, redis://, rediss://, redis+unix:// or unix://)`);
  }
}

/**
 * `value` fit to show: the password of a URL (user info or a `password=`
 * parameter) replaced by `***`. Errs on the side of hiding: with an unescaped
 * '@' or '/' in a password, more than the password may go.
 */
export function redactUrl(value: string): string {
  const m = SCHEME.exec(value);
  if (!m) return value;
  let rest = value.slice(m[0].length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const colon = rest.indexOf(':');
    if (colon >= 0 && colon < at) rest = rest.slice(0, colon) + ':***' + rest.slice(at);
  }
  rest = rest.replace(/([?&;](?:password|pass|pwd)=)[^&#]*/gi, '$1***');
  return m[0] + rest;
}

// ---- the pieces of a URL --------------------------------------------------------------------

interface UrlParts {
  userinfo?: string; // raw (encoded)
  hostport: string; // raw
  path: string; // raw, with its leading '/' (or '')
  query: [string, string][]; // decoded
}

function bad(value: string, why: string): Error {
  const shown = redactUrl(value).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return configError(`once database ${shown}: ${why}`);
}

function decode(value: string, part: string, s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw bad(value, `bad percent-escape in the ${part} (write % as %25)`);
  }
}

function splitUrl(value: string, scheme: string): UrlParts {
  let rest = value.slice(scheme.length + 3);
  if (rest.includes('#')) throw bad(value, "'#' must be written %23 (a URL fragment is not allowed)");
  for (const c of rest) {
    const code = c.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) throw bad(value, 'a space or control character must be percent-encoded');
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  const parts: UrlParts = {
    hostport: at >= 0 ? authority.slice(at + 1) : authority,
    path,
    query: [],
  };
  if (at >= 0) parts.userinfo = authority.slice(0, at);
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(value, 'query', eq >= 0 ? pair.slice(0, eq) : pair);
    const val = decode(value, 'query', eq >= 0 ? pair.slice(eq + 1) : '');
    if (seen.has(name)) throw bad(value, `parameter "${name}" is given twice`);
    seen.add(name);
    parts.query.push([name, val]);
  }
  return parts;
}

function splitUserinfo(value: string, userinfo: string | undefined): { user?: string; password?: string } {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  const user = decode(value, 'user name', colon >= 0 ? userinfo.slice(0, colon) : userinfo);
  const password = colon >= 0 ? decode(value, 'password', userinfo.slice(colon + 1)) : undefined;
  const out: { user?: string; password?: string } = {};
  if (user !== '') out.user = user;
  if (password !== undefined && password !== '') out.password = password;
  return out;
}

function parsePort(value: string, s: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw bad(value, `bad port "${s}" (1-65535)`);
  return Number(s);
}

/** host[:port], [v6][:port]; host may be percent-encoded (a socket directory for libpq). */
function splitHostPort(value: string, hostport: string): { host?: string; port?: number } {
  if (hostport === '') return {};
  if (hostport.includes(',')) throw bad(value, 'several hosts are not supported (name one server)');
  let host: string;
  let port: string | undefined;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) throw bad(value, 'an IPv6 address lacks its closing "]"');
    host = hostport.slice(1, end);
    const after = hostport.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw bad(value, `unexpected "${after}" after the IPv6 address`);
      port = after.slice(1);
    }
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(host)) throw bad(value, `bad IPv6 address "${host}"`);
  } else {
    const colon = hostport.lastIndexOf(':');
    if (colon >= 0) {
      host = hostport.slice(0, colon);
      port = hostport.slice(colon + 1);
    } else host = hostport;
    host = decode(value, 'host', host);
  }
  const out: { host?: string; port?: number } = {};
  if (host !== '') out.host = host;
  if (port !== undefined && port !== '') out.port = parsePort(value, port);
  return out;
}

/** Percent-encode for display; '/' stays readable in socket paths. */
const show = (s: string) => encodeURIComponent(s).replace(/%2F/gi, '/').replace(/%3A/gi, ':');
const showHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

// ---- PostgreSQL ---------------------------------------------------------------------------------

const PG_PARAMS = ['host', 'port', 'dbname', 'user', 'password', 'table', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name'];

function parsePostgres(value: string, scheme: string, env: NodeJS.ProcessEnv): PostgresTarget {
  const parts = splitUrl(value, scheme);
  let { user, password } = splitUserinfo(value, parts.userinfo);
  let { host, port } = splitHostPort(value, parts.hostport);
  let database = parts.path.length > 1 ? decode(value, 'database name', parts.path.slice(1)) : undefined;
  let table = DEFAULT_TABLE;
  let schema: string | undefined;
  let applicationName = 'autoreply';
  const tls: PostgresTls = { mode: 'disable' };
  for (const [name, val] of parts.query) {
    switch (name) {
      case 'host':
        if (val.includes(',')) throw bad(value, 'several hosts are not supported (name one server)');
        if (val !== '') host = val;
        break;
      case 'port':
        port = parsePort(value, val);
        break;
      case 'dbname':
        if (val !== '') database = val;
        break;
      case 'user':
        if (val !== '') user = val;
        break;
      case 'password':
        if (val !== '') password = val;
        break;
      case 'table': {
        const t = parseTableName(value, val);
        table = t.table;
        schema = t.schema;
        break;
      }
      case 'sslmode':
        if (val === 'disable' || val === 'require' || val === 'verify-ca' || val === 'verify-full') tls.mode = val;
        else if (val === 'allow' || val === 'prefer')
          throw bad(value, `sslmode=${val} is not supported (TLS or not must be certain): use disable, require, verify-ca or verify-full`);
        else throw bad(value, `bad sslmode "${val}" (disable, require, verify-ca or verify-full)`);
        break;
      case 'sslrootcert':
        tls.rootCert = val;
        break;
      case 'sslcert':
        tls.cert = val;
        break;
      case 'sslkey':
        tls.key = val;
        break;
      case 'application_name':
        applicationName = val;
        break;
      case 'connect_timeout':
        throw bad(value, 'parameter "connect_timeout" is not supported: use --once-timeout');
      default:
        throw bad(value, `unknown parameter "${name}" (known: ${PG_PARAMS.join(', ')})`);
    }
  }
  if ((tls.rootCert || tls.cert || tls.key) && tls.mode === 'disable') {
    // libpq: a root certificate without sslmode means verify-ca
    if (tls.rootCert) tls.mode = 'verify-ca';
    else throw bad(value, 'sslcert/sslkey need sslmode=require, verify-ca or verify-full');
  }
  if (!!tls.cert !== !!tls.key) throw bad(value, 'sslcert and sslkey go together');

  host ??= env.PGHOST || DEFAULT_PG_SOCKET_DIR;
  if (host.includes(',')) throw bad(value, 'several hosts are not supported (name one server)');
  port ??= env.PGPORT && /^\d+$/.test(env.PGPORT) ? parsePort(value, env.PGPORT) : 5432;
  user ??= env.PGUSER || osUser(env);
  database ??= env.PGDATABASE || user;
  const socket = host.startsWith('/');
  if (socket && tls.mode !== 'disable') throw bad(value, `sslmode=${tls.mode} on a Unix socket (${host}): TLS is for TCP connections`);

  let where: string;
  if (socket) {
    const q = [`host=${show(host)}`];
    if (port !== 5432) q.push(`port=${port}`);
    where = `${scheme}://${show(user)}@/${show(database)}?${q.join('&')}`;
  } else {
    where = `${scheme}://${show(user)}@${showHost(host)}:${port}/${show(database)}`;
  }
  const target: PostgresTarget = { kind: 'postgres', where, host, socket, port, database, user, table, tls, applicationName };
  if (schema !== undefined) target.schema = schema;
  hide(target, 'password', password);
  return target;
}

/** An unquoted SQL identifier (or schema.identifier), folded to lower case as PostgreSQL folds it. */
function parseTableName(value: string, s: string): { table: string; schema?: string } {
  const parts = s.split('.');
  const ok = (p: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p);
  if (parts.length > 2 || !parts.every(ok))
    throw bad(value, `bad table name "${s}": letters, digits and _ (not first), optionally schema.table`);
  const table = parts[parts.length - 1]!.toLowerCase();
  if (table.length > MAX_TABLE_NAME) throw bad(value, `table name "${s}" is longer than ${MAX_TABLE_NAME} characters`);
  if (parts.length === 2) {
    const schema = parts[0]!.toLowerCase();
    if (schema.length > 63) throw bad(value, `schema name "${parts[0]}" is longer than 63 characters`);
    return { table, schema };
  }
  return { table };
}

function osUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'postgres';
  }
}

// ---- Redis ----------------------------------------------------------------------------------------

function parseRedis(value: string, scheme: string): RedisTarget {
  const parts = splitUrl(value, scheme);
  const socketForm = scheme === 'redis+unix' || scheme === 'unix';
  let { user: username, password } = splitUserinfo(value, parts.userinfo);
  let host: string | undefined;
  let port: number | undefined;
  let path: string | undefined;
  let db = 0;
  if (socketForm) {
    if (parts.userinfo !== undefined) throw bad(value, 'a socket URL has no user part: give ?username= and ?password=');
    if (parts.hostport !== '') throw bad(value, `the socket path must be absolute: ${scheme}:///path/to/redis.sock`);
    path = decode(value, 'socket path', parts.path);
    if (path === '' || path === '/') throw bad(value, `no socket path (${scheme}:///path/to/redis.sock)`);
  } else {
    ({ host, port } = splitHostPort(value, parts.hostport));
    host ??= '127.0.0.1';
    port ??= 6379;
    if (parts.path !== '' && parts.path !== '/') db = parseDb(value, decode(value, 'database number', parts.path.slice(1)));
  }
  let prefix = DEFAULT_PREFIX;
  let ca: string | undefined;
  let servername: string | undefined;
  let dbGiven = false;
  for (const [name, val] of parts.query) {
    switch (name) {
      case 'prefix':
        if (val === '') throw bad(value, 'prefix must not be empty (the keys of other programs would be ours)');
        if (val.includes('\0')) throw bad(value, 'prefix must not contain a NUL');
        prefix = val;
        break;
      case 'db':
        if (!socketForm && parts.path !== '' && parts.path !== '/') throw bad(value, 'the database number is given twice (path and ?db=)');
        if (dbGiven) throw bad(value, 'parameter "db" is given twice');
        db = parseDb(value, val);
        dbGiven = true;
        break;
      case 'password':
        if (password !== undefined) throw bad(value, 'the password is given twice');
        if (val !== '') password = val;
        break;
      case 'username':
      case 'user':
        if (username !== undefined) throw bad(value, 'the user name is given twice');
        if (val !== '') username = val;
        break;
      case 'ca':
      case 'servername':
        if (scheme !== 'rediss') throw bad(value, `parameter "${name}" is for rediss:// (TLS)`);
        if (name === 'ca') ca = val;
        else servername = val;
        break;
      default:
        throw bad(value, `unknown parameter "${name}" (known: prefix, db, username, password${scheme === 'rediss' ? ', ca, servername' : ''})`);
    }
  }
  let where: string;
  if (path !== undefined) {
    const q: string[] = [];
    if (username !== undefined) q.push(`username=${show(username)}`);
    if (db !== 0) q.push(`db=${db}`);
    where = `${scheme}://${show(path)}${q.length ? '?' + q.join('&') : ''}`;
  } else {
    where = `${scheme}://${username !== undefined ? show(username) + '@' : ''}${showHost(host!)}:${port}${db !== 0 ? '/' + db : ''}`;
  }
  const target: RedisTarget = { kind: 'redis', where, db, prefix };
  if (path !== undefined) target.path = path;
  else {
    target.host = host!;
    target.port = port!;
  }
  if (scheme === 'rediss') {
    target.tls = {};
    if (ca !== undefined) target.tls.ca = ca;
    if (servername !== undefined) target.tls.servername = servername;
  }
  if (username !== undefined) target.username = username;
  hide(target, 'password', password);
  return target;
}

function parseDb(value: string, s: string): number {
  if (!/^\d{1,5}$/.test(s)) throw bad(value, `bad database number "${s}" (0, 1, ...)`);
  return Number(s);
}

/** A property that JSON.stringify and util.inspect leave out. */
function hide(obj: object, name: string, v: string | undefined): void {
  if (v !== undefined) Object.defineProperty(obj, name, { value: v, enumerable: false, writable: false, configurable: false });
}

// ---- shared by both servers -------------------------------------------------------------------------

/**
 * Refuse a scope (OnceClaim.scope: the mailbox) that a shared server could not
 * keep apart from another: one with a NUL (Redis ends the scope with a NUL in
 * its keys, PostgreSQL text cannot hold one) or a lone UTF-16 surrogate (its
 * UTF-8 would be U+FFFD's, so two scopes would be one). A scope is stored as
 * the text it is, UTF-8 on the wire. Exit 65: the value, not the server, is wrong.
 */
export function checkScope(where: string, scope: string): void {
  if (scope.includes('\0')) throw dataError(`once database ${where}: a mailbox (scope) cannot contain a NUL character`);
  if (/\p{Cs}/u.test(scope)) throw dataError(`once database ${where}: a mailbox (scope) must be well-formed text (it has a lone UTF-16 surrogate)`);
}

// ---- words for failures, shared by both servers ---------------------------------------------------

/** A duration as messages give it: 5 s, 1.5 s, 0.2 s. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(s < 1 ? 2 : 1))} s`;
}

const UNTRUSTED = "the server's certificate is not trusted";
const TLS_WORDS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: `${UNTRUSTED} (a self-signed certificate in its chain)`,
  DEPTH_ZERO_SELF_SIGNED_CERT: `${UNTRUSTED} (self-signed)`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `${UNTRUSTED} (unknown issuer)`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `${UNTRUSTED} (unknown issuer)`,
  UNABLE_TO_GET_ISSUER_CERT: `${UNTRUSTED} (unknown issuer)`,
  CERT_SIGNATURE_FAILURE: `${UNTRUSTED} (bad signature)`,
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server does not speak TLS on this port',
};

/**
 * Network and TLS failures in words (ECONNREFUSED: "connection refused"), or
 * undefined when `err` is none of them.
 */
export function describeNetworkError(
  err: { code?: unknown; message?: unknown; address?: unknown; hostname?: unknown },
  tls?: { ca: string | undefined; option: string },
): string | undefined {
  const code = typeof err.code === 'string' ? err.code : '';
  const msg = typeof err.message === 'string' ? err.message : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOENT':
      return `no server socket${typeof err.address === 'string' ? ' at ' + err.address : ''} (no such file)`;
    case 'EACCES':
      return `permission denied${typeof err.address === 'string' ? ' on socket ' + err.address : ''}`;
    case 'ECONNRESET':
      return 'the server reset the connection';
    case 'EPIPE':
      return 'the server closed the connection';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ENOTFOUND':
      return `host not found${typeof err.hostname === 'string' ? ': ' + err.hostname : ''}`;
    case 'EAI_AGAIN':
      return `host name lookup failed for now${typeof err.hostname === 'string' ? ': ' + err.hostname : ''}`;
    case 'ETIMEDOUT':
      return undefined; // the caller says how long
  }
  const words = TLS_WORDS[code];
  if (words) {
    // what to do about an untrusted certificate: give the CA that signed it
    if (!words.startsWith(UNTRUSTED) || !tls) return `TLS failure: ${words}`;
    return `TLS failure: ${words}; ${tls.ca ? `the CA in ${tls.ca} did not sign it` : `give the CA that signed it with ?${tls.option}=FILE`}`;
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /^(CERT|UNABLE_TO|SELF_SIGNED|DEPTH_ZERO|HOSTNAME)_/.test(code))
    return `TLS failure: ${oneLine(msg) || code}`;
  return undefined;
}

/** Text on one line, bounded. */
export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 3) + '...' : t;
}
