// Shared by the rule and corpus tests: a RuleInput with sensible defaults.
import { bytes, fromText } from '../../src/bytes.js';
import { parseMessage } from '../../src/message/reader.js';
import type { RuleInput, RuleSettings } from '../../src/rules/rule.js';

export const DEFAULT_SETTINGS: RuleSettings = { maxRecipients: 5, maxRepliesPerHour: 100 };

/** 2025-07-08 12:00 UTC: inside the test vacation of July 2025. */
export const NOW = Date.UTC(2025, 6, 8, 12, 0, 0);

/** A message from header lines (LF) and a body; UTF-8 text becomes its bytes. */
export function msg(headers: string, body = 'Hello.\n') {
  return parseMessage(fromText(headers.replace(/\n*$/, '\n') + '\n' + body));
}

export function input(headers: string, over: Partial<RuleInput> = {}, settings: Partial<RuleSettings> = {}): RuleInput {
  return {
    message: msg(headers),
    sender: bytes('bob@example.net'),
    recipient: bytes('alice@example.com'),
    aliases: [],
    replyRecipients: [bytes('bob@example.net')],
    now: NOW,
    ...over,
    settings: { ...DEFAULT_SETTINGS, ...settings },
  };
}

/** A plain personal message from Bob to Alice that every rule lets through. */
export const PERSONAL = `From: Bob Jones <bob@example.net>
To: Alice Smith <alice@example.com>
Subject: lunch on Friday?
Date: Mon, 07 Jul 2025 09:12:44 +0200
Message-ID: <20250707091244.1234@mail.example.net>`;
