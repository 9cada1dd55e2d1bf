// "12.3%" of a total (— when the total is zero).
export function formatShare(part: number, total: number): string {
  return total > 0 ? formatPct((part / total) * 100) : '—';
}

/** A percentage given in percent (the API's `pctOfTotal`), to one decimal. */
export function formatPct(percent: number): string {
  return `${percent.toFixed(1)}%`;
}
