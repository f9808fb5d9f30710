import { existsSync } from 'node:fs';
import { bytes, type ByteString, fromBuffer, fromText, toBuffer } from '../bytes.js';
import type { Envelope } from '../delivery/envelope.js';
import type { Expanded, ExpansionContext, HeaderForm } from './context.js';
import { allHeaders, headerValue, replyAddress } from '../message/header-values.js';
import type { IncomingMessage } from '../message/message.js';
import { messageTextOf, QUOTE_LINES, quoteLines } from '../message/message-text.js';
import { readFileCapped } from '../files.js';
import { todBsdInbox, todFull, todLog, todLogfile, todZone } from '../time/tod.js';

/**
 * The expansion variables of SPEC section 4, backed by the incoming message and
 * the envelope. Anything taken from the message is tainted.
 */
export function expansionContext(
  msg: IncomingMessage,
  env: Envelope,
  now: Date = new Date(),
  eximTaint = false,
  environment: NodeJS.ProcessEnv = process.env,
): ExpansionContext {
  const clean = (value: ByteString): Expanded => ({ value, tainted: false });
  const dirty = (value: ByteString): Expanded => ({ value, tainted: true });
  // Exim 4.94+ taints the address being delivered too (--exim-strict): a path
  // such as `once = /var/spool/$local_part` then defers, as in Exim. An empty
  // value adds nothing, so it taints nothing (Exim's empty prefix is untainted).
  const recipientPart = (value: ByteString): Expanded => (eximTaint && value !== '' ? dirty(value) : clean(value));

  const variables: Record<string, () => Expanded> = {
    reply_address: () => dirty(replyAddress(msg)),
    sender_address: () => dirty(env.sender),
    return_path: () => dirty(env.sender),
    sender_address_local_part: () => dirty(bytes(env.sender.replace(/@[^@]*$/, ''))),
    sender_address_domain: () => dirty(bytes(env.sender.includes('@') ? env.sender.replace(/^.*@/, '') : '')),
    // The recipient was validated by the MTA that routed to us: not message data
    // (except under --exim-strict, where Exim's taint rules apply).
    local_part: () => recipientPart(env.localPart),
    local_part_prefix: () => recipientPart(env.localPartPrefix),
    local_part_suffix: () => recipientPart(env.localPartSuffix),
    domain: () => recipientPart(env.domain),
    home: () => clean(env.home),
    message_exim_id: () => clean(env.eximId),
    message_id: () => clean(env.eximId),
    primary_hostname: () => clean(env.primaryHostname),
    qualify_domain: () => clean(env.qualifyDomain),
    message_headers: () => dirty(allHeaders(msg, false)),
    message_headers_raw: () => dirty(allHeaders(msg, true)),
    message_body: () => dirty(visible(bytes(msg.bodyKept.slice(0, 500)))),
    message_body_end: () => dirty(visible(bytes(msg.bodyTail.slice(-500)))),
    message_body_size: () => clean(bytes(String(msg.bodySize))),
    body_linecount: () => clean(bytes(String(msg.bodyLineCount))),
    tod_full: () => clean(bytes(todFull(now))),
    tod_log: () => clean(bytes(todLog(now))),
    tod_logfile: () => clean(bytes(todLogfile(now))),
    tod_zone: () => clean(bytes(todZone(now))),
    tod_bsdinbox: () => clean(bytes(todBsdInbox(now))),
    tod_epoch: () => clean(bytes(String(Math.floor(now.getTime() / 1000)))),
  };
  if (!eximTaint) {
    // Beyond Exim, so not under --exim-strict (eximTaint is set exactly then),
    // where they are unknown variables, an expansion failure as in Exim: the
    // message's decoded text and its first 20 lines quoted with "> ". Decoded
    // before expansion by the delivery that names them (message/message-text.ts).
    variables.message_text = () => dirty(messageTextOf(msg));
    variables.message_quote = () => dirty(quoteLines(messageTextOf(msg), QUOTE_LINES));
  }

  return {
    variable: (name) => variables[name]?.(),
    header: (name: string, form: HeaderForm) => {
      const value = headerValue(msg, name, form);
      return value === undefined ? undefined : dirty(value);
    },
    readFile: (path) => fromBuffer(readFileCapped(toBuffer(path))),
    env: (name) => {
      const v = environment[name];
      return v === undefined ? undefined : fromText(v);
    },
    fileExists: (path) => existsSync(toBuffer(path)),
  };
}

/** `$message_body`: newlines (and NULs) shown as spaces. */
function visible(s: ByteString): ByteString {
  return bytes(s.replace(/[\n\0]/g, ' '));
}
