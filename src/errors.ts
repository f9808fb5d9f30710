/**
 * Exit statuses as an MTA reads them (sysexits). Every failure the program can
 * have is one of these, carried by an AutoreplyError with a one-line reason.
 */
export const EXIT = {
  OK: 0,
  USAGE: 64, // bad command line
  DATAERR: 65, // the incoming message, or a value built from it, is unusable
  TEMPFAIL: 75, // Exim would defer: try again later
  CONFIG: 78, // Exim would fail: the configuration is wrong
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Marks an AutoreplyError whichever copy of this module made it (see hasInstance). */
const BRAND = Symbol.for('autoreply.AutoreplyError');

/** A failure with the exit code it maps to and a reason for the mail administrator. */
export class AutoreplyError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'AutoreplyError';
  }

  /**
   * The bundle is split into chunks loaded on demand (the once stores, the
   * management commands), each with its own copy of this module: an error made
   * in a chunk is still an AutoreplyError where it is caught.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export const usageError = (msg: string) => new AutoreplyError(EXIT.USAGE, msg);
export const dataError = (msg: string) => new AutoreplyError(EXIT.DATAERR, msg);
export const tempError = (msg: string) => new AutoreplyError(EXIT.TEMPFAIL, msg);
export const configError = (msg: string) => new AutoreplyError(EXIT.CONFIG, msg);
