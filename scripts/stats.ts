/** The middle item of a benchmark's runs by `by` (the upper middle for an even count). */
export function middle<T>(items: readonly T[], by: (item: T) => number): T {
  if (items.length === 0) throw new Error("no runs to take the middle of");
  return [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)];
}

/** The median of timings (the upper middle for an even count). */
export function median(xs: readonly number[]): number {
  return middle(xs, (x) => x);
}
