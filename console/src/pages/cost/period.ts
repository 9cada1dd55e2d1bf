// The period the cost page shows: whole UTC days (the API's days), a preset of the last N days
// up to and including today, or a custom first and last day. The API takes at most 92 days.
import { startOfUtcDay } from '../../components/format';

export const DAY_MS = 86_400_000;
export const MAX_DAYS = 92;
export const PRESETS = [7, 30, 90] as const;
export const DEFAULT_DAYS = 30;

export interface Period {
  /** RFC 3339, inclusive (a UTC midnight). */
  from: string;
  /** RFC 3339, exclusive (a UTC midnight). */
  to: string;
  /** Set when the period is a preset. */
  preset?: number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function presetPeriod(days: number, now = new Date()): Period {
  const end = Date.parse(startOfUtcDay(now)) + DAY_MS;
  return { from: rfc3339(end - days * DAY_MS), to: rfc3339(end), preset: days };
}

/** A custom period from two `YYYY-MM-DD` days (both included), or what is wrong with them. */
export function customPeriod(firstDay: string, lastDay: string): Period | { error: string } {
  const from = Date.parse(`${firstDay}T00:00:00Z`);
  const to = Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS;
  if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'Choose a first and a last day.' };
  if (to <= from) return { error: 'The last day is before the first.' };
  const days = (to - from) / DAY_MS;
  if (days > MAX_DAYS) return { error: `At most ${MAX_DAYS} days at a time (this is ${days}).` };
  return { from: rfc3339(from), to: rfc3339(to) };
}

/** The period in the page's search parameters (`?days=7` or `?from=…&to=…`), else the default. */
export function periodFromParams(params: URLSearchParams): Period {
  const first = params.get('from');
  const last = params.get('to');
  if (first && last) {
    const custom = customPeriod(first, last);
    if (!('error' in custom)) return custom;
  }
  const days = Number(params.get('days'));
  return presetPeriod(PRESETS.includes(days as (typeof PRESETS)[number]) ? days : DEFAULT_DAYS);
}

/** `YYYY-MM-DD` of a UTC instant. */
export const utcDay = (iso: string): string => iso.slice(0, 10);

/** The last day included in a period (its `to` is exclusive). */
export const lastDayOf = (period: Period): string => utcDay(new Date(Date.parse(period.to) - DAY_MS).toISOString());

/** Start of each UTC day of the period, in Unix seconds (the chart's x values). */
export function daysOf(period: Period): number[] {
  const days: number[] = [];
  for (let t = Date.parse(period.from); t < Date.parse(period.to); t += DAY_MS) days.push(t / 1000);
  return days;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

/** "4 Nov 2026 – 3 Dec 2026 (UTC days)". */
export function describePeriod(period: Period): string {
  return `${dayFormat.format(new Date(period.from))} – ${dayFormat.format(new Date(Date.parse(period.to) - DAY_MS))} (UTC days)`;
}
