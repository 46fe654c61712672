// The statistics the interleaved benchmarks share: quantiles, the order of a
// round, and the ratio of two medians with a bootstrap interval that
// resamples whole rounds (a round's runs share that moment's load).

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] ?? NaN) + ((s[hi] ?? NaN) - (s[lo] ?? NaN)) * (at - lo);
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

// Round r runs the subjects in this order: each goes first as often as the others.
export function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = xs.length ? by % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

// A fixed seed: the same times give the same interval.
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 95% interval of median(a)/median(b), resampling rounds: a[i] and b[i] stay together.
export function bootstrapRatio(a: readonly number[], b: readonly number[], resamples = 2000): [number, number] {
  const rand = mulberry32(0x5eed);
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const ra: number[] = [];
    const rb: number[] = [];
    for (let j = 0; j < n; j++) {
      const k = Math.floor(rand() * n);
      ra.push(a[k] ?? NaN);
      rb.push(b[k] ?? NaN);
    }
    ratios.push(median(ra) / median(rb));
  }
  return [quantile(ratios, 0.025), quantile(ratios, 0.975)];
}
