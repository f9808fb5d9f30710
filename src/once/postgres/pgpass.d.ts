/** The `pgpass` module (no types of its own): looks a password up in ~/.pgpass or $PGPASSFILE. */
declare module 'pgpass' {
  import type { Writable } from 'node:stream';
  interface PgPassConnInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgpass(connInfo: PgPassConnInfo, cb: (password: string | undefined) => void): void;
  namespace pgpass {
    /** Where its warnings go (default process.stderr); returns the previous stream. */
    function warnTo(stream: Writable): Writable;
  }
  export = pgpass;
}
