// Every message of the corpus gets the decision decisions.json says a mail
// administrator expects; see the "about" text there for the conditions.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { bareAddresses as headerAddresses } from '../../src/address/list.js';
import { findHeaders, type IncomingMessage } from '../../src/message/message.js';
import { parseMessage } from '../../src/message/reader.js';
import { judge, SWITCHABLE, type Switchable } from '../../src/rules/index.js';
import { rateHit } from '../../src/rules/rate.js';
import type { RuleHit, RuleInput, RuleSettings } from '../../src/rules/rule.js';

const isSwitchable = (s: string): s is Switchable => (SWITCHABLE as readonly string[]).includes(s);
import { parseScheduleBound } from '../../src/rules/schedule-parse.js';
import { bytes, type ByteString } from '../../src/bytes.js';

const here = dirname(fileURLToPath(import.meta.url));

interface JsonSettings {
  xLoop?: string | null;
  authservId?: string | null;
  maxRecipients?: number;
  maxRepliesPerHour?: number;
  start?: string | null;
  end?: string | null;
}
interface Conditions {
  recipient?: string | null;
  aliases?: string[];
  now?: string;
  repliesLastHour?: number;
  allow?: string[];
  settings?: JsonSettings;
}
interface Entry extends Conditions {
  category: string;
  expect: string;
  note?: string;
  then?: (Conditions & { expect: string; note?: string })[];
}
interface Manifest {
  defaults: Required<Omit<Conditions, 'allow'>>;
  messages: Record<string, Entry>;
}

const manifest = JSON.parse(readFileSync(join(here, 'decisions.json'), 'utf8')) as Manifest;

/** The envelope sender as a pipe transport would have it. */
function envelopeSender(m: IncomingMessage): string {
  if (m.mboxSender !== undefined) return m.mboxSender;
  const rp = findHeaders(m, 'Return-Path')[0];
  if (!rp) throw new Error('corpus message without Return-Path');
  return headerAddresses(rp.raw)[0] ?? '';
}

/** `to = $reply_address`: Reply-To, else From. */
function replyAddresses(m: IncomingMessage): ByteString[] {
  const rt = findHeaders(m, 'Reply-To').flatMap((h) => headerAddresses(h.raw));
  return rt.length > 0 ? rt : findHeaders(m, 'From').flatMap((h) => headerAddresses(h.raw));
}

function settingsOf(...layers: (JsonSettings | undefined)[]): RuleSettings {
  const j: JsonSettings = Object.assign({}, ...layers.filter(Boolean));
  const s: RuleSettings = { maxRecipients: j.maxRecipients ?? 5, maxRepliesPerHour: j.maxRepliesPerHour ?? 100 };
  if (j.xLoop) s.xLoop = bytes(j.xLoop);
  if (j.authservId) s.authservId = bytes(j.authservId);
  if (j.start) s.start = parseScheduleBound(j.start, 'start');
  if (j.end) s.end = parseScheduleBound(j.end, 'end');
  return s;
}

function decide(message: IncomingMessage, entry: Conditions, extra: Conditions = {}) {
  const d = manifest.defaults;
  const pick = <K extends keyof Conditions>(k: K): Conditions[K] =>
    k in extra ? extra[k] : k in entry ? entry[k] : (d as Conditions)[k];
  const recipient = pick('recipient');
  const input: RuleInput = {
    message,
    sender: bytes(envelopeSender(message)),
    ...(recipient ? { recipient: bytes(recipient) } : {}),
    aliases: (pick('aliases') ?? []).map(bytes),
    replyRecipients: replyAddresses(message),
    settings: settingsOf(d.settings, entry.settings, extra.settings),
    now: Date.parse(pick('now')!),
  };
  const allow = new Set<Switchable>([...(entry.allow ?? []), ...(extra.allow ?? [])].filter(isSwitchable));
  const all: RuleHit[] = judge(input, allow);
  // `rate` is judged last, with the once record (here: the count the manifest gives)
  const replies = pick('repliesLastHour')!;
  const max = input.settings.maxRepliesPerHour;
  if (all.length === 0 && !allow.has('rate') && max > 0 && replies >= max) all.push(rateHit(replies, max));
  return { hit: all[0], all };
}

const files = readdirSync(join(here, 'messages')).filter((f) => f.endsWith('.eml'));

t.test('the corpus is complete', async (t) => {
  t.ok(files.length >= 40, `${files.length} messages`);
  t.same(Object.keys(manifest.messages).sort(), files.sort(), 'every message has a decision, every decision a message');
  const expected = new Set(
    Object.values(manifest.messages).flatMap((e) => [e.expect, ...(e.then ?? []).map((x) => x.expect)]),
  );
  for (const r of [...SWITCHABLE, 'reply']) t.ok(expected.has(r), `some message expects ${r}`);
  for (const e of Object.values(manifest.messages)) {
    t.ok(e.expect === 'reply' || isSwitchable(e.expect), `${e.expect} is a decision`);
  }
});

for (const file of files) {
  const entry = manifest.messages[file];
  if (!entry) continue;
  t.test(`${file} (${entry.category})`, async (t) => {
    const message = parseMessage(readFileSync(join(here, 'messages', file)));
    const { hit, all } = decide(message, entry);
    t.equal(hit?.rule ?? 'reply', entry.expect, hit ? `${hit.rule}: ${hit.reason}` : 'answered');
    for (const then of entry.then ?? []) {
      const again = decide(message, entry, then);
      t.equal(again.hit?.rule ?? 'reply', then.expect, `${JSON.stringify({ ...then, expect: undefined })} -> ${then.expect}`);
    }
  });
}
