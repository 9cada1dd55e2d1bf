// The Overview's two views: the last 48 hours by hour, the last 30 UTC days by day. Bounds are
// whole hours / UTC days so that the query key (and the API's rounding) is stable in between.
import type { Granularity } from '@agenfleet/sdk';

export type RangeName = '48h' | '30d';

export interface Range {
  name: RangeName;
  label: string;
  granularity: Granularity;
  from: string;
  to: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function rangeOf(name: RangeName, now: number): Range {
  if (name === '30d') {
    const tomorrow = Math.floor(now / DAY) * DAY + DAY;
    return { name, label: 'Last 30 days, per day', granularity: 'day', from: iso(tomorrow - 30 * DAY), to: iso(tomorrow) };
  }
  const nextHour = Math.floor(now / HOUR) * HOUR + HOUR;
  return { name, label: 'Last 48 hours, per hour', granularity: 'hour', from: iso(nextHour - 48 * HOUR), to: iso(nextHour) };
}

export function parseRange(value: string | null): RangeName {
  return value === '30d' ? '30d' : '48h';
}

const iso = (ms: number) => new Date(ms).toISOString();
