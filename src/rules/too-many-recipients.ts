import type { Rule } from './rule.js';

/**
 * A forged Reply-To with dozens of addresses would turn us into an amplifier for
 * backscatter. Counts distinct addresses of the expanded to, cc and bcc.
 */
export const tooManyRecipients: Rule<'too-many-recipients'> = {
  name: 'too-many-recipients',
  check({ replyRecipients, settings }) {
    const distinct = new Set(replyRecipients.map((a) => a.toLowerCase()).filter((a) => a !== ''));
    if (distinct.size > settings.maxRecipients) {
      return `${distinct.size} reply recipients, more than --max-recipients ${settings.maxRecipients}`;
    }
    return undefined;
  },
};
