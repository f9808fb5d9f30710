import { readFileCapped } from '../files.js';
import { bytes, type ByteString, fromBuffer, trimChars } from '../bytes.js';
import { configError } from '../errors.js';

/** One `name = value` setting from a configuration file, with where it was. */
export interface ConfigSetting {
  name: string;
  /** The value as written; `undefined` for a bare boolean name (`return_message`). */
  value: ByteString | undefined;
  line: number;
}

/**
 * Reads an option file in Exim's configuration syntax: `#` comment lines, blank
 * lines, a trailing backslash joins the next line (its leading white space
 * dropped), `driver = autoreply` and a `name:` transport header are ignored.
 */
export function readConfigFile(path: string): ConfigSetting[] {
  let text: ByteString;
  try {
    text = fromBuffer(readFileCapped(path));
  } catch (err) {
    throw configError(`cannot read configuration file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(text, path);
}

export function parseConfig(text: ByteString, path = 'configuration'): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  // Blanks are spaces and tabs only: \s and trim() would also take byte 0xA0, the
  // last byte of a UTF-8 "à" at the end of a value.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.replace(/\r$/, '');
    if (/^[ \t]*#/.test(line)) continue;
    while (/\\[ \t]*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\[ \t]*$/, '') + lines[++i]!.replace(/\r$/, '').replace(/^[ \t]+/, '');
    }
    line = trimChars(line);
    if (line === '' || /^[A-Za-z0-9_]+:$/.test(line)) continue;
    const m = /^([A-Za-z][A-Za-z0-9_-]*)[ \t]*(?:=[ \t]*(.*))?$/.exec(line);
    if (!m) throw configError(`${path} line ${start}: expected "name = value", found "${line}"`);
    const name = m[1]!.replace(/-/g, '_');
    if (name === 'driver') continue;
    settings.push({ name, value: m[2] === undefined ? undefined : dequote(bytes(m[2])), line: start }); // a piece of the byte string text
  }
  return settings;
}

/** A value in double quotes has its escapes turned into characters when read (readconf.c). */
function dequote(value: ByteString): ByteString {
  if (!value.startsWith('"')) return value;
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') break;
    if (c !== '\\' || i + 1 >= value.length) {
      out += c;
      continue;
    }
    const n = value[++i]!;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', v: '\v', f: '\f' };
    if (n in simple) out += simple[n];
    else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(value.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (n === 'x' && /^[0-9a-fA-F]/.test(value[i + 1] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(value.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m, 16));
      i += m.length;
    } else out += n;
  }
  return bytes(out);
}
