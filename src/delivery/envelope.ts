import { bytes, type ByteString, trimChars } from '../bytes.js';
import { findHeaders, type IncomingMessage } from '../message/message.js';

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

/** The envelope as the command line and the environment gave it. */
export interface EnvelopeHints {
  envelope: Envelope;
  /** False when no flag or environment variable named the sender: the message may. */
  senderKnown: boolean;
}

/** The envelope sender when nothing named it: the mbox `From ` line, else Return-Path, else '' (a bounce). */
export function envelopeFor(hints: EnvelopeHints, message: IncomingMessage): Envelope {
  if (hints.senderKnown) return hints.envelope;
  let sender = message.mboxSender;
  if (sender === undefined) {
    const returnPath = findHeaders(message, 'return-path')[0]?.raw;
    if (returnPath !== undefined) sender = bytes(trimChars(returnPath).replace(/^<(.*)>$/, '$1'));
  }
  return { ...hints.envelope, sender: sender ?? bytes('') };
}
