import { runDeliver } from '../deliver/run.js';
import { bytes, type ByteString } from '../../bytes.js';

/** Defaults of Exim's filter `vacation` command (SPEC 7), relative to $home. */
export const VACATION_DEFAULTS: Record<string, ByteString> = {
  subject: bytes('On vacation'),
  file: bytes('$home/.vacation.msg'),
  file_expand: bytes('true'),
  log: bytes('$home/.vacation.log'),
  once: bytes('$home/.vacation'),
  once_repeat: bytes('7d'),
  to: bytes('$reply_address'),
};

export const VACATION_USAGE =
  '$0 vacation [OPTIONS] < message\n\nExim\'s filter "vacation" command: reply once a week per sender with ~/.vacation.msg ' +
  '(subject "On vacation", once database ~/.vacation, log ~/.vacation.log); every option below may override.\n' +
  '"autoreply vacation on|off|status" switches it on and off for you (~/.forward); see "autoreply vacation on --help".';

/** `autoreply vacation [OPTIONS] < message`: a delivery with Exim's vacation defaults. */
export function runVacation(args: string[]): Promise<number> {
  return runDeliver(args, { base: VACATION_DEFAULTS, usage: VACATION_USAGE });
}
