/**
 * The two ways the program behaves, decided once per run from `--exim-strict`:
 * exactly as Exim 4.96's autoreply transport (its bytes, its verdicts, none of
 * our additions), or safe and extended (SPEC 5). Each part of the program is
 * handed the one setting it needs, so that "what differs from Exim" is read
 * here, in one place.
 */
export interface Profile {
  readonly name: 'exim' | 'safe';
  /** The safety rules (SPEC 5) judge the message before anything is recorded or sent. */
  readonly rules: boolean;
  /**
   * The reply is written safely: 8-bit header text RFC 2047 encoded, MIME labels
   * for an 8-bit body, long header lines folded, only message ids in
   * In-Reply-To and References, an empty `headers` option writes nothing, and
   * a reply that cannot be written cleanly is refused (rule `malformed`) instead
   * of failing the delivery. Otherwise the bytes are Exim's.
   */
  readonly safeReply: boolean;
  /** The once key is the `to` string as it is (Exim's key), not its normalised addresses. */
  readonly exactOnceKey: boolean;
  /**
   * Exim's verdicts where Exim defers or fails: its taint rules (the recipient's
   * local part and domain count as message data; a tainted `file` or `once`
   * defers, a tainted `log` is skipped), exit 65 for a non-printing character,
   * a deferral for an expansion nested too deeply (Exim's transport crashes).
   */
  readonly eximVerdicts: boolean;
  /** A reply without recipients is still handed to sendmail, whose "no recipients" counts as sent. */
  readonly submitWithoutRecipients: boolean;
  /** `once_repeat` in Exim's syntax only (not PEP's `replyinterval` forms). */
  readonly eximTimes: boolean;
}

export const EXIM_PROFILE: Profile = {
  name: 'exim',
  rules: false,
  safeReply: false,
  exactOnceKey: true,
  eximVerdicts: true,
  submitWithoutRecipients: true,
  eximTimes: true,
};

export const SAFE_PROFILE: Profile = {
  name: 'safe',
  rules: true,
  safeReply: true,
  exactOnceKey: false,
  eximVerdicts: false,
  submitWithoutRecipients: false,
  eximTimes: false,
};
