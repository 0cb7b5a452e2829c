// Percentiles (linear interpolation) and the two table formats the harness prints: aligned text and markdown.

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const x = (s.length - 1) * p, lo = Math.floor(x), hi = Math.ceil(x);
  return s[lo] + (s[hi] - s[lo]) * (x - lo);
}

/** { n, median, p10, p90, min } of a list of times. */
export function summary(times) {
  return { n: times.length, median: percentile(times, 0.5), p10: percentile(times, 0.1), p90: percentile(times, 0.9),
    min: Math.min(...times) };
}

export const fmt = (x, d = 1) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(d));
/** Milliseconds with 3 significant digits at most (0.512, 12.3, 345). */
export const ms = (x) => (x == null || Number.isNaN(x) ? '-' : x < 1 ? x.toFixed(3) : x < 100 ? x.toPrecision(3) : x.toFixed(0));

export function textTable(header, rows) {
  const w = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c ?? '').padEnd(w[i]) : String(c ?? '').padStart(w[i]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header, rows) {
  const line = (r) => `| ${r.map((c) => String(c ?? '')).join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map(line)].join('\n');
}
