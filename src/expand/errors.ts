/**
 * An expansion failure. `message` uses Exim's wording where practical, so that
 * the caller can report `Expansion of "<template>" failed in reply transport: <message>`
 * exactly as Exim logs it.
 */
export class ExpansionError extends Error {
  /**
   * `forced` is true for a deliberate failure requested by the configuration
   * (`fail` in a `${if}` / `${extract}` / `${env}` branch): Exim's
   * "forced expansion failure", which some options treat differently.
   */
  constructor(
    message: string,
    readonly forced = false,
    /**
     * `nesting`: the string is nested too deeply to expand (see MAX_NESTING);
     * `size`: the result grew past MAX_EXPANSION (out.ts).
     */
    readonly kind: 'nesting' | 'size' | undefined = undefined,
  ) {
    super(message);
    this.name = 'ExpansionError';
  }
}

/** Exim's "missing or misplaced { or }" family, for bracketing problems. */
export function curlyError(detail?: string): ExpansionError {
  return new ExpansionError(detail && detail.length > 0 ? detail : 'missing or misplaced { or }');
}
