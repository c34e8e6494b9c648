/**
 * "Did you mean …?" for unknown configuration keys.
 * @module
 */

/** Levenshtein edit distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `key`: edit distance ≤ 2 (ignoring case), or one
 * is a prefix of the other (at least 3 characters). `undefined` if none.
 */
export function suggest(
  key: string,
  candidates: readonly string[],
): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    let score = editDistance(k, lc);
    if (score > 2) {
      const shorter = Math.min(k.length, lc.length);
      const prefix = shorter >= 3 && (lc.startsWith(k) || k.startsWith(lc));
      if (!prefix) continue;
      score = 3;
    }
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
