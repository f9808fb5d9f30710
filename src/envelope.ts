import type { ByteString } from './bytes.js';

/**
 * Who the incoming message is from and for, and where we run: what an Exim pipe
 * transport or Postfix local(8) tells a command through flags and environment.
 */
export interface Envelope {
  /** Envelope sender ('' for a bounce). */
  sender: ByteString;
  /** The recipient address (`$local_part@$domain`), '' when unknown. */
  recipient: ByteString;
  localPart: ByteString;
  domain: ByteString;
  localPartPrefix: ByteString;
  localPartSuffix: ByteString;
  home: ByteString;
  /** Exim's message id (`$message_exim_id`, from MESSAGE_ID). */
  eximId: ByteString;
  primaryHostname: ByteString;
  qualifyDomain: ByteString;
}
