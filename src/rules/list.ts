import type { Rule } from './rule.js';
import { showHeader } from './util.js';

/**
 * A mailing-list post goes to everybody on the list; answering it annoys them all.
 * RFC 2369/2919 List-* headers (any List-* header, as the PEP reply-file rules
 * do, so List-Unsubscribe-Post and friends count), plus the older X-Mailing-List
 * and Mailing-List of ezmlm and SmartList. List-Id names the list best, so it is
 * preferred in the reason.
 */
export const list: Rule<'list'> = {
  name: 'list',
  check({ message }) {
    const listHeaders = message.headers.filter((h) => /^(list-.+|x-mailing-list|mailing-list)$/i.test(h.name));
    const best = listHeaders.find((h) => /^list-id$/i.test(h.name)) ?? listHeaders[0];
    return best ? showHeader(best) : undefined;
  },
};
