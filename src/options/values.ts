/** Exim's spellings of option values: booleans, sizes with K/M/G, octal modes. */

export function parseBool(value: string): boolean | undefined {
  switch (value.trim().toLowerCase()) {
    case '':
    case 'true':
    case 'yes':
      return true;
    case 'false':
    case 'no':
      return false;
    default:
      return undefined;
  }
}

/** `100K`, `1M`, `2G`, or plain bytes (Exim: K = 1024). */
export function parseSize(value: string): number | undefined {
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(value);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

export function parseOctal(value: string): number | undefined {
  const m = /^\s*0?([0-7]{1,4})\s*$/.exec(value);
  return m ? parseInt(m[1]!, 8) : undefined;
}

export function parseInteger(value: string): number | undefined {
  return parseSize(value);
}
