// "Did you mean" candidates: optimal-string-alignment (Damerau-Levenshtein) distance <= 2, or equal ignoring case.

export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
  }
  return d[a.length][b.length];
}

/** Best near misses of `word` among `candidates`, closest first (at most 3). */
export function suggest(word: string, candidates: Iterable<string>): string[] {
  const lower = word.toLowerCase();
  const scored: [number, string][] = [];
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) {
      scored.push([0, c]);
      continue;
    }
    const dist = editDistance(word, c, 2);
    // Very short words are all within 2 edits of each other: require a closer match there.
    if (dist <= 2 && (dist === 1 || Math.min(word.length, c.length) > 3)) scored.push([dist, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]));
  return scored.slice(0, 3).map((s) => s[1]);
}

export function didYouMean(s: string[]): string {
  if (s.length === 0) return '';
  return `; did you mean ${s.map((x) => `"${x}"`).join(' or ')}?`;
}
