// Formatting shared by every page: numbers, money, tokens, times (in the viewer's zone unless
// a zone is given), durations.
//
// The first Intl object a page makes costs ~30–60 ms (ICU's data; ×4 on a phone), more than all
// the rest of the fleet page's first render. So the formats the fleet page shows are written by
// hand for the common cases (integers, dollars, token counts, relative times, local date-times,
// the ASCII names of an English-speaking viewer), giving exactly what Intl gives (e2e/format.spec.ts
// compares them); anything else goes to an Intl formatter, made once, on first use.
const lazy = <T,>(make: () => T): (() => T) => {
  let made: T | undefined;
  return () => (made ??= make());
};

const integer = lazy(() => new Intl.NumberFormat('en-US'));
const compact = lazy(() => new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }));

/** Digits grouped by three with commas (en-US). */
const grouped = (digits: string): string => digits.replace(/\B(?=(\d{3})+$)/g, ',');

/** `Intl.NumberFormat('en-US')`. */
export function formatInteger(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return integer().format(n);
  return n < 0 ? `-${grouped(String(-n))}` : grouped(String(n));
}

const COMPACT_UNITS = ['K', 'M', 'B', 'T'];

/** Token counts: an integer below 10,000, else compact en-US with one decimal at most ("12.3K"). */
export function formatTokens(n: number): string {
  if (n < 10_000) return formatInteger(n);
  if (!Number.isSafeInteger(n) || n >= 1e12) return compact().format(n);
  // Tenths of the unit, rounded half up in integers (exact, as Intl's decimal rounding is).
  let unit = 1_000;
  let index = 0;
  while (n >= unit * 1_000) {
    unit *= 1_000;
    index += 1;
  }
  let tenths = Math.floor((n + unit / 20) / (unit / 10));
  if (tenths >= 10_000) {
    unit *= 1_000;
    index += 1;
    tenths = Math.floor((n + unit / 20) / (unit / 10));
  }
  const whole = Math.floor(tenths / 10);
  const tenth = tenths % 10;
  return `${whole}${tenth ? `.${tenth}` : ''}${COMPACT_UNITS[index]}`;
}

const usd = (digits: number) =>
  lazy(
    () =>
      new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: 'USD',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }),
  );
const usdCents = usd(2);
const usdFractions = usd(4);

/**
 * `n` ≥ 0 with `digits` decimals, rounded half up from its shortest decimal form (what Intl
 * rounds), or undefined when that form is exponential.
 */
function fixed(n: number, digits: number): string | undefined {
  const text = String(n);
  if (text.includes('e')) return undefined;
  const [whole = '0', fraction = ''] = text.split('.');
  const kept = fraction.padEnd(digits, '0').slice(0, digits);
  if ((fraction[digits] ?? '0') < '5') return `${grouped(whole)}.${kept}`;
  // Round up: add one to the last kept digit, carrying into the whole part.
  const all = (BigInt(whole + kept) + 1n).toString().padStart(digits + 1, '0');
  return `${grouped(all.slice(0, -digits))}.${all.slice(-digits)}`;
}

/** Dollars: cents, or four decimals below a dollar ("$0.0042"). */
export function formatUsd(n: number): string {
  const digits = n !== 0 && Math.abs(n) < 1 ? 4 : 2;
  const text = n >= 0 && !Object.is(n, -0) ? fixed(n, digits) : undefined;
  return text === undefined ? (digits === 4 ? usdFractions : usdCents)().format(n) : `$${text}`;
}

const collator = lazy(() => new Intl.Collator());

/**
 * The root collation's order of printable ASCII (`Intl.Collator` for English), upper and lower
 * case of a letter sharing a rank: ' ' < punctuation < symbols < digits < letters.
 */
const ASCII_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789';
const PRIMARY = new Uint8Array(128);
for (let i = 0; i < ASCII_ORDER.length; i++) PRIMARY[ASCII_ORDER.charCodeAt(i)] = i + 1;
for (let i = 0; i < 26; i++) PRIMARY[97 + i] = PRIMARY[65 + i] = ASCII_ORDER.length + 1 + i;

/** Whether English collation applies (the viewer's language) and both are printable ASCII. */
const englishViewer = lazy(() => /^en(-|$)/i.test(navigator.language));
const printable = /^[\x20-\x7e]*$/;

/**
 * `Intl.Collator().compare` (the viewer's locale): by hand for ASCII names in English (letters
 * first by letter, then lower case before upper case), else by one collator made on first use.
 */
export function compareNames(a: string, b: string): number {
  if (!englishViewer() || !printable.test(a) || !printable.test(b)) return collator().compare(a, b);
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = PRIMARY[a.charCodeAt(i)]! - PRIMARY[b.charCodeAt(i)]!;
    if (order) return order < 0 ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    // Same letter, different case: the lower case (the higher code) first.
    if (x !== y) return x > y ? -1 : 1;
  }
  return 0;
}

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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec'];
const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/** "4 Sept 2026, 09:05": en-GB, medium date and short time, in `timeZone` (the viewer's if none). */
export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const year = date.getFullYear();
  if (timeZone || !(year >= 1000 && year <= 9999)) return dateTimeFormat('short', timeZone).format(date);
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${year}, ${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
}

const relative = lazy(() => new Intl.RelativeTimeFormat('en', { numeric: 'auto' }));

type RelativeUnit = 'second' | 'minute' | 'hour' | 'day';
const NOW: Record<RelativeUnit, string> = { second: 'now', minute: 'this minute', hour: 'this hour', day: 'today' };

/** `Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(value, unit)` for integers. */
function relativeTime(value: number, unit: RelativeUnit): string {
  if (!Number.isSafeInteger(value)) return relative().format(value, unit);
  if (value === 0) return NOW[unit];
  if (unit === 'day' && (value === 1 || value === -1)) return value === 1 ? 'tomorrow' : 'yesterday';
  const count = Math.abs(value);
  const text = `${formatInteger(count)} ${unit}${count === 1 ? '' : 's'}`;
  return value > 0 ? `in ${text}` : `${text} ago`;
}

/** "3 minutes ago", "in 2 hours". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relativeTime(seconds, 'second');
  if (abs < 45 * 60) return relativeTime(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relativeTime(Math.round(seconds / 3600), 'hour');
  return relativeTime(Math.round(seconds / 86400), 'day');
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
