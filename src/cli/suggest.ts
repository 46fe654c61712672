// "Did you mean": the known word closest to a mistyped one, by edit distance
// with adjacent transpositions (optimal string alignment), so `exce` finds
// `exec` in one step as a typist would count it.
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

// The closest of `known`, if it is close: one edit for short words, two from
// five letters on (so `cp` suggests nothing rather than `ps`).
export function closest(word: string, known: Iterable<string>): string | undefined {
  const limit = word.length >= 5 ? 2 : 1;
  let best: { word: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(word, k);
    if (d <= limit && (!best || d < best.d)) best = { word: k, d };
  }
  return best?.word;
}
