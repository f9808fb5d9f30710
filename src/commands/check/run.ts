import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { bytes, type ByteString, toBuffer, toText } from '../../bytes.js';
import { MalformedReply } from '../../delivery/decision.js';
import { checkExpand, type CheckKind } from '../../options/check.js';
import { AutoreplyError, EXIT } from '../../errors.js';
import { parseMessage } from '../../message/reader.js';
import { TRANSPORT_OPTIONS, type TransportOptions } from '../../options/transport-options.js';
import { parseEximTime } from '../../time/exim-time.js';
import { parseReplyInterval } from '../../time/reply-interval.js';
import { checkStyle } from './style.js';
import { expansionContext } from '../../expand/variables.js';
import { parseDeliveryArgs } from '../deliver/args.js';
import { isOnceUrl, parseOnceTarget, redactUrl } from '../../once/url.js';

/** A message to expand against when `--message` is not given. */
const SAMPLE = [
  'Return-Path: <sender@example.org>',
  'From: Sample Sender <sender@example.org>',
  'To: recipient@example.com',
  'Subject: A sample message',
  'Date: Thu, 19 Nov 2026 10:00:00 +0000',
  'Message-ID: <sample.1@example.org>',
  '',
  'This is the body of a sample message.',
  '',
].join('\n');

const KINDS: Partial<Record<keyof TransportOptions, CheckKind>> = {
  from: 'header', reply_to: 'header', to: 'header', cc: 'header', bcc: 'header', subject: 'header',
  headers: 'text', text: 'text', file: 'path', log: 'path', once: 'path', once_repeat: 'path', never_mail: 'text',
};

/**
 * `autoreply check --config FILE [--message FILE]`: expand every option against a
 * sample message and report every problem at once, not just the first.
 */
export async function runCheck(args: string[]): Promise<number> {
  const parsed = await parseDeliveryArgs(args, process.env, {
    usage: '$0 check --config FILE [--message FILE] [OPTIONS]\n\nValidate options and expansions against a sample message.',
    extend: (y: Argv) => y.option('message', { type: 'string', describe: 'expand against this message instead of a built-in sample', group: 'Check:' }),
  });
  if (parsed === 'exit') return 0;
  const { request } = parsed;
  const { profile } = request;
  const messagePath = parsed.parsed.message;
  const input = typeof messagePath === 'string' ? readFileSync(messagePath) : Buffer.from(SAMPLE);
  const message = parseMessage(input);
  const hints = request.envelope;
  const envelope = hints.senderKnown ? hints.envelope : { ...hints.envelope, sender: message.mboxSender ?? bytes('sender@example.org') };
  const ctx = expansionContext(message, envelope, new Date(), profile.eximVerdicts, request.environment);
  const o = request.options;
  const problems: string[] = [];

  for (const name of Object.keys(TRANSPORT_OPTIONS) as (keyof TransportOptions)[]) {
    const kind = KINDS[name];
    const template = o[name];
    if (kind === undefined || typeof template !== 'string') continue;
    try {
      const r = checkExpand(template, kind, ctx, profile);
      if (kind === 'path' && r.tainted && name !== 'once_repeat') problems.push(`${name}: the path is built from message data (refused, as Exim 4.94+ does)`);
      const url = name === 'once' && isOnceUrl(toText(r.value));
      // a server's URL is shown without its password, and checked without contacting the server
      process.stdout.write(`${name} = ${(url ? redactUrl(toText(r.value)) : toText(r.value)).replace(/\n/g, '\\n')}\n`);
      const seconds = profile.eximTimes ? parseEximTime(r.value) : parseReplyInterval(r.value, request.source.kind === 'mailbox');
      if (name === 'once_repeat' && seconds === undefined) problems.push(`once_repeat: invalid time value "${toText(r.value)}"`);
      if (name === 'file' && !o.file_optional) problems.push(...readable(r.value, 'file'));
      if (url) problems.push(...serverUrl(r.value));
      else if (name === 'log' || name === 'once') problems.push(...writableDir(r.value, name));
    } catch (err) {
      // a MalformedReply is what a delivery would refuse to send (rule malformed)
      if (!(err instanceof AutoreplyError) && !(err instanceof MalformedReply)) throw err;
      problems.push(`${name}: ${err.message}`);
    }
  }
  problems.push(...checkStyle(request.source, request.handle, (line) => process.stdout.write(line + '\n')));
  if (o.to === undefined && o.cc === undefined && o.bcc === undefined) problems.push('to, cc and bcc are all unset: a reply would have no recipients');
  // the report is the output; stderr gets one line, as for every failure
  for (const p of problems) process.stdout.write(`problem: ${p}\n`);
  if (problems.length === 0) {
    process.stdout.write('configuration ok\n');
    return EXIT.OK;
  }
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  process.stdout.write(`${count} found\n`);
  process.stderr.write(`autoreply: check: ${count} in the configuration (listed on standard output)\n`);
  return EXIT.CONFIG;
}

function readable(path: ByteString, name: string): string[] {
  try {
    accessSync(toBuffer(path), constants.R_OK);
    return [];
  } catch (err) {
    return [`${name}: cannot read ${toText(path)}: ${(err as NodeJS.ErrnoException).code}`];
  }
}

/** A shared server's URL: well formed? (`autoreply once check --once URL` contacts the server.) */
function serverUrl(value: ByteString): string[] {
  try {
    parseOnceTarget(toText(value));
    return [];
  } catch (err) {
    if (!(err instanceof AutoreplyError)) throw err;
    return [`once: ${err.message}`];
  }
}

function writableDir(path: ByteString, name: string): string[] {
  try {
    accessSync(dirname(toText(path)), constants.W_OK);
    return [];
  } catch (err) {
    return [`${name}: cannot write in ${dirname(toText(path))}: ${(err as NodeJS.ErrnoException).code}`];
  }
}
