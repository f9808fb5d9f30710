/**
 * The once database key for a set of recipients (SPEC 6): the bare addresses of
 * `to`, lower-cased, without duplicates, sorted, joined with a comma. So
 * "Bob <B@x>, a@y" and "a@Y,b@x" share one entry. (Under --exim-strict the
 * caller uses the expanded `to` string itself as the key instead.)
 */
export function onceKey(addresses: string[]): string {
  const set = new Set<string>();
  for (const a of addresses) {
    const t = a.trim().toLowerCase();
    if (t) set.add(t);
  }
  return [...set].sort().join(',');
}
