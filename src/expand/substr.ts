/**
 * extract_substr(): Exim's substring with its rules for negative offsets (count
 * from the right; an unset length then means "everything to the left") and
 * out-of-range values. `length` < 0 means unset.
 */
export function substr(subject: string, start: number, length: number): string {
  const sublen = subject.length;
  let v1 = start;
  let v2 = length;
  if (v1 < 0) {
    v1 += sublen;
    if (v1 < 0) {
      v2 += v1;
      if (v2 < 0) v2 = 0;
      v1 = 0;
    } else if (v2 < 0) {
      v2 = v1;
      v1 = 0;
    }
  } else if (v1 > sublen) {
    v1 = sublen;
    v2 = 0;
  } else if (v2 < 0) v2 = sublen;
  if (v1 + v2 > sublen) v2 = sublen - v1;
  return subject.slice(v1, v1 + v2);
}
