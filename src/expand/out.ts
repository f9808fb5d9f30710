import type { DataSpan, Expanded } from './context.js';
import { ExpansionError } from './errors.js';
import { bytes, type ByteString } from '../bytes.js';

/**
 * The largest result one expansion may have, in bytes. Message data can make a
 * short template produce a great deal (`${sg}` replacing every character of a
 * 64 KiB header by a long string, nested): past this the expansion fails instead
 * of the process running out of memory. No reply text comes near it.
 */
export const MAX_EXPANSION = 16 * 1024 * 1024;

export function checkSize(length: number): void {
  if (length > MAX_EXPANSION) throw new ExpansionError(`the result would be larger than ${MAX_EXPANSION / 1024 / 1024} MiB`, false, 'size');
}

/**
 * Accumulates an expansion result, whether any inserted piece was tainted, and
 * where in the result the message data sits. The spans let the caller tell a
 * newline written in the configuration from one that came from the message:
 * only the first may end a header line of the reply (SPEC 5). A value computed
 * from message data by an operator or item has no finer provenance: all of it
 * counts as data.
 */
export class Out {
  private parts: string[] = [];
  private length = 0;
  private spans: DataSpan[] = [];
  tainted = false;

  /** Literal text from the template itself: never tainted. */
  text(s: string): void {
    if (s.length === 0) return;
    this.parts.push(s);
    this.length += s.length;
    checkSize(this.length);
  }

  /**
   * A value from elsewhere, carrying its taint. An empty value adds nothing, so it
   * taints nothing: Exim 4.96 accepts `file = /x/${substr_0_0:$local_part}y`.
   */
  add(v: Expanded): void {
    if (v.value.length === 0) return;
    if (v.tainted) {
      this.tainted = true;
      for (const [from, to] of dataSpans(v)) this.addSpan(this.length + from, this.length + to);
    }
    this.parts.push(v.value);
    this.length += v.value.length;
    checkSize(this.length);
  }

  result(): Expanded {
    // template text (slices of the byte-string template, ASCII escapes) and byte-string values
    const value = bytes(this.parts.join(''));
    if (!this.tainted) return { value, tainted: false };
    return { value, tainted: true, spans: this.spans };
  }

  private addSpan(from: number, to: number): void {
    const last = this.spans[this.spans.length - 1];
    if (last && last[1] === from) last[1] = to;
    else this.spans.push([from, to]);
  }
}

/** Where message data sits in a value: its spans, or all of it when tainted without finer detail. */
export function dataSpans(v: Expanded): readonly DataSpan[] {
  if (!v.tainted) return [];
  return v.spans ?? [[0, v.value.length]];
}

export const untainted = (value: ByteString): Expanded => ({ value, tainted: false });
export const EMPTY: Expanded = { value: bytes(''), tainted: false };
