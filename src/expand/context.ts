import type { ByteString } from '../bytes.js';

/** A value with its provenance: `tainted` when any of it came from the incoming message. */
export interface Expanded {
  value: ByteString;
  tainted: boolean;
  /**
   * Where the message data is, as [from, to) offsets, when known; a tainted value
   * without spans is message data throughout (see out.ts).
   */
  spans?: readonly DataSpan[];
}

/** [from, to) offsets of a stretch of message data in an expanded value. */
export type DataSpan = [number, number];

/** The three ways Exim reads a header: decoded+UTF-8 (`$h_`), raw (`$rh_`), decoded bytes (`$bh_`). */
export type HeaderForm = 'decoded' | 'raw' | 'bytes';

/**
 * What an expansion can see of the world. The expander is pure: variables,
 * headers and files reach it only through this interface.
 */
export interface ExpansionContext {
  /** `$name`: the variable's value, or undefined when no such variable exists (an error). */
  variable(name: string): Expanded | undefined;
  /** `$h_name:` and friends: the header's value in that form, or undefined when absent. */
  header(name: string, form: HeaderForm): Expanded | undefined;
  /** `${readfile{path}}`: the file's bytes; throws an Error with a reason when unreadable. */
  readFile(path: ByteString): ByteString;
  /** `${env{NAME}}`: the environment variable, or undefined. */
  env(name: string): ByteString | undefined;
  /** `exists{path}`. */
  fileExists(path: ByteString): boolean;
}
