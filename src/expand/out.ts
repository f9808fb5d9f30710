import type { Expanded } from './context.js';

/** Accumulates an expansion result and whether any inserted piece was tainted. */
export class Out {
  private parts: string[] = [];
  tainted = false;

  /** Literal text from the template itself: never tainted. */
  text(s: string): void {
    if (s.length > 0) this.parts.push(s);
  }

  /**
   * A value from elsewhere, carrying its taint. An empty value adds nothing, so it
   * taints nothing: Exim 4.96 accepts `file = /x/${substr_0_0:$local_part}y`.
   */
  add(v: Expanded): void {
    if (v.value.length === 0) return;
    this.parts.push(v.value);
    if (v.tainted) this.tainted = true;
  }

  result(): Expanded {
    return { value: this.parts.join(''), tainted: this.tainted };
  }
}

export const untainted = (value: string): Expanded => ({ value, tainted: false });
export const EMPTY: Expanded = { value: '', tainted: false };
