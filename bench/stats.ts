/** Median, 99th percentile and mean of a list of durations in milliseconds. */
export function summarise(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? 0;
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return { count: samples.length, median: at(0.5), p99: at(0.99), mean };
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
