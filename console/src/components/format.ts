// Formatting shared by every page: numbers, money, tokens, times (in the viewer's zone unless
// a zone is given), durations.
const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatInteger = (n: number): string => integer.format(n);
export const formatTokens = (n: number): string => (n >= 10_000 ? compact.format(n) : integer.format(n));

// Building an Intl formatter costs far more than using one (~0.1 ms, ×4 on a phone): every
// formatter is made once and reused (a 500-agent fleet page formats thousands of values).
const usd = (digits: number) =>
  new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
const usdCents = usd(2);
const usdFractions = usd(4);

export function formatUsd(n: number): string {
  return (n !== 0 && Math.abs(n) < 1 ? usdFractions : usdCents).format(n);
}

/** `a.localeCompare(b)` with one collator, not one per call (sorting 500 names: ~4,500 calls). */
export const compareNames = new Intl.Collator().compare;

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** A cached `en-GB` date-time formatter with `timeStyle` in `timeZone` (the viewer's if none). */
function dateTimeFormat(timeStyle: 'short' | 'medium', timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${timeStyle} ${timeZone ?? ''}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeStyle,
      ...(timeZone ? { timeZone } : {}),
    });
    dateTimeFormats.set(key, format);
  }
  return format;
}

export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  return dateTimeFormat('short', timeZone).format(new Date(iso));
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 min ago", "in 2 h". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Start of the current UTC day / month, as RFC 3339 (the API's day and month). */
export function startOfUtcDay(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
}
export function startOfUtcMonth(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
}

/** The viewer's IANA time zone (e.g. Europe/Berlin). */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** An RFC 3339 time as the value of an `<input type="datetime-local">` (viewer's zone). */
export function toDateTimeLocal(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` (viewer's zone) as RFC 3339 UTC, or null. */
export function fromDateTimeLocal(value: string): string | null {
  if (!value) return null;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** Like formatDateTime, to the second (logs, attempts). */
export function formatDateTimeSeconds(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  return dateTimeFormat('medium', timeZone).format(new Date(iso));
}
