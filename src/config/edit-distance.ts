/** Levenshtein distance, for "did you mean" hints on unknown keys and unknown models. */

/**
 * The edit distance between `a` and `b`, or `max + 1` as soon as it is sure to be more than `max`. A hint for an
 * unknown model compares it with every name a fleet's config holds, thousands of them, on each 404: most are
 * ruled out by their length or within a few rows.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length === 0 || b.length === 0) return Math.min(a.length + b.length, max + 1);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    // Every later row is at least this row's smallest value.
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return Math.min(previous[b.length]!, max + 1);
}

/** How far a candidate may be from `word` and still be suggested: a third of its length, at least 2. */
function reach(word: string): number {
  return Math.max(2, Math.floor(word.length / 3));
}

/** Whether `candidate` is within reach of `word`, case aside. */
export function isNear(word: string, candidate: string): boolean {
  const max = reach(word);
  return editDistance(word.toLowerCase(), candidate.toLowerCase(), max) <= max;
}

/** Candidates within reach of `word`, closest first. */
export function closest(word: string, candidates: Iterable<string>, limit = 5): string[] {
  const max = reach(word);
  const lower = word.toLowerCase();
  const scored: Array<{ candidate: string; distance: number }> = [];
  for (const candidate of new Set(candidates)) {
    const distance = editDistance(lower, candidate.toLowerCase(), max);
    if (distance <= max) scored.push({ candidate, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}
