import { isDigit, isSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import { ARITH_MAX, ARITH_MIN, wrap64 } from './numbers.js';

/**
 * `${eval:}` / `${eval10:}`: Exim's integer expression evaluator, ported closely.
 * 64-bit signed arithmetic with C wrap-around (BigInt wrapped to 64 bits),
 * precedence | ^ & << >> + - * / % unary, numbers with K/M/G suffixes, and hex
 * (0x) or octal (leading 0) unless decimal. Exim's quirks are kept: its overflow
 * check for + and - is "over-conservative" (any left operand >= MAX/2 fails),
 * MIN / -1 gives MAX, shift counts are taken modulo 64 as on x86.
 */
export function evalExpression(input: string, decimal: boolean): bigint {
  const st = new State(input, decimal);
  const v = st.expr(false);
  if (st.error !== undefined) {
    throw new ExpansionError(
      `error in expression evaluation: ${st.error} (after processing "${input.slice(0, st.pos)}")`,
    );
  }
  return v;
}

const HALF = ARITH_MAX / 2n;

class State {
  pos = 0;
  error: string | undefined;
  constructor(
    readonly s: string,
    readonly decimal: boolean,
  ) {}

  private skip(): string | undefined {
    while (isSpace(this.s[this.pos])) this.pos++;
    return this.s[this.pos];
  }

  expr(endket: boolean): bigint {
    const x = this.or();
    if (this.error === undefined) {
      if (endket) {
        if (this.s[this.pos] !== ')') this.error = 'expecting closing parenthesis';
        else {
          this.pos++;
          this.skip();
        }
      } else if (this.pos < this.s.length) this.error = 'expecting operator';
    }
    return x;
  }

  private number(): bigint {
    const c = this.skip();
    if (isDigit(c)) {
      let n = this.scan();
      const mult = { k: 1024n, m: 1048576n, g: 1073741824n }[(this.s[this.pos] ?? '').toLowerCase()];
      if (mult !== undefined) {
        n = wrap64(n * mult);
        this.pos++;
      }
      this.skip();
      return n;
    }
    if (c === '(') {
      this.pos++;
      return this.expr(true);
    }
    this.error = 'expecting number or opening parenthesis';
    return 0n;
  }

  /** sscanf("%lli") (or "%lld" for eval10): base prefix, saturating on overflow. */
  private scan(): bigint {
    const rest = this.s.slice(this.pos);
    let m: RegExpExecArray | null;
    let v: bigint;
    if (!this.decimal && (m = /^0[xX]([0-9a-fA-F]*)/.exec(rest))) {
      v = m[1] === '' ? 0n : BigInt(`0x${m[1]}`); // glibc consumes a bare "0x" as 0
    } else if (!this.decimal && (m = /^0[0-7]*/.exec(rest))) {
      v = m[0] === '0' ? 0n : BigInt(`0o${m[0].slice(1)}`);
    } else {
      m = /^[0-9]+/.exec(rest) as RegExpExecArray;
      v = BigInt(m[0]);
    }
    this.pos += m[0].length;
    if (v > ARITH_MAX) {
      // strtoll saturates; hex above MAX saturates too (errno ERANGE ignored).
      v = ARITH_MAX;
    }
    return v;
  }

  private unary(): bigint {
    const c = this.skip();
    if (c === '+' || c === '-' || c === '~') {
      this.pos++;
      const x = this.unary();
      if (c === '-') return wrap64(-x);
      if (c === '~') return wrap64(~x);
      return x;
    }
    return this.number();
  }

  private mult(): bigint {
    let x = this.unary();
    while (this.error === undefined) {
      const op = this.s[this.pos];
      if (op !== '*' && op !== '/' && op !== '%') break;
      this.pos++;
      const y = this.unary();
      if (this.error !== undefined) break;
      if (y === -1n && x === ARITH_MIN && op !== '*') {
        x = ARITH_MAX;
        continue;
      }
      if (op === '*') x = wrap64(x * y);
      else if (y === 0n) {
        this.error = op === '/' ? 'divide by zero' : 'modulo by zero';
        return 0n;
      } else x = op === '/' ? x / y : x % y; // BigInt truncates toward zero, like C
    }
    return x;
  }

  private sum(): bigint {
    let x = this.mult();
    while (this.error === undefined) {
      const op = this.s[this.pos];
      if (op !== '+' && op !== '-') break;
      this.pos++;
      const y = this.mult();
      if (this.error !== undefined) break;
      if (x >= HALF || (x <= -HALF && y <= -HALF)) {
        this.error = op === '+' ? 'overflow in sum' : 'overflow in difference';
        break;
      }
      x = wrap64(op === '+' ? x + y : x - y);
    }
    return x;
  }

  private shift(): bigint {
    let x = this.sum();
    while (this.error === undefined) {
      const op = this.s[this.pos];
      if ((op !== '<' && op !== '>') || this.s[this.pos + 1] !== op) break;
      this.pos += 2;
      const y = this.sum();
      if (this.error !== undefined) break;
      const n = BigInt.asUintN(6, y);
      x = op === '<' ? wrap64(x << n) : x >> n;
    }
    return x;
  }

  private binary(next: () => bigint, op: string, f: (a: bigint, b: bigint) => bigint): bigint {
    let x = next();
    while (this.error === undefined && this.s[this.pos] === op) {
      this.pos++;
      const y = next();
      if (this.error !== undefined) break;
      x = f(x, y);
    }
    return x;
  }

  private and = (): bigint => this.binary(() => this.shift(), '&', (a, b) => a & b);
  private xor = (): bigint => this.binary(() => this.and(), '^', (a, b) => a ^ b);
  private or = (): bigint => this.binary(() => this.xor(), '|', (a, b) => a | b);
}
