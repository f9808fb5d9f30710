import type { CheckReport } from './store.js';

/** Collects the lines of `autoreply once check`; the first failure is the problem named in the error line. */
export class CheckReporter {
  readonly lines: string[] = [];
  private problem: string | undefined;

  /** A line saying what makes the database unusable. */
  readonly fail = (line: string): void => {
    this.problem ??= line;
    this.lines.push(line);
  };

  done(): CheckReport {
    return this.problem === undefined ? { ok: true, lines: this.lines } : { ok: false, lines: this.lines, problem: this.problem };
  }
}
