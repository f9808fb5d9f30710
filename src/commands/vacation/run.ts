import { runDeliver } from '../deliver/run.js';

/** Defaults of Exim's filter `vacation` command (SPEC 7), relative to $home. */
export const VACATION_DEFAULTS: Record<string, string> = {
  subject: 'On vacation',
  file: '$home/.vacation.msg',
  file_expand: 'true',
  log: '$home/.vacation.log',
  once: '$home/.vacation',
  once_repeat: '7d',
  to: '$reply_address',
};

export const VACATION_USAGE =
  '$0 vacation [OPTIONS] < message\n\nExim\'s filter "vacation" command: reply once a week per sender with ~/.vacation.msg ' +
  '(subject "On vacation", once database ~/.vacation, log ~/.vacation.log); every option below may override.\n' +
  '"autoreply vacation on|off|status" switches it on and off for you (~/.forward); see "autoreply vacation on --help".';

/** `autoreply vacation [OPTIONS] < message`: a delivery with Exim's vacation defaults. */
export function runVacation(args: string[]): Promise<number> {
  return runDeliver(args, { base: VACATION_DEFAULTS, usage: VACATION_USAGE });
}
