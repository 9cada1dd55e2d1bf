// A cron schedule said in words (cronstrue), and checked as it is typed. cronstrue also reads
// forms the API refuses (seconds, years, `L`, `W`, `#`, `?`, `@daily`), so those are caught first:
// the API takes exactly five fields of numbers, names, `*`, lists, ranges and steps.
import cronstrue from 'cronstrue';

export type ScheduleCheck = { ok: true; words: string } | { ok: false; error: string };

const FIELD = /^[0-9A-Za-z*,/-]+$/;

export function checkSchedule(expression: string): ScheduleCheck {
  const trimmed = expression.trim();
  if (!trimmed) return { ok: false, error: 'Enter a schedule: minute hour day-of-month month day-of-week.' };
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return {
      ok: false,
      error: `A schedule has 5 fields (minute hour day-of-month month day-of-week); this has ${fields.length}.`,
    };
  }
  const odd = fields.find((field) => !FIELD.test(field) || /[LW#]/.test(field.replace(/[A-Z]{3}/gi, '')));
  if (odd !== undefined) {
    return { ok: false, error: `"${odd}" is not a cron field: use numbers, names, *, lists, ranges and steps.` };
  }
  try {
    return { ok: true, words: describeSchedule(trimmed) };
  } catch (error) {
    return { ok: false, error: String(error instanceof Error ? error.message : error).replace(/^Error: /, '') };
  }
}

/** "At 08:00, Monday through Friday"; throws on an expression cronstrue cannot read. */
export function describeSchedule(expression: string): string {
  return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
}

/** In words when possible, else the expression itself. */
export function scheduleInWords(expression: string): string {
  try {
    return describeSchedule(expression);
  } catch {
    return expression;
  }
}

let zones: string[] | undefined;

/** Every IANA zone this browser knows, UTC first. */
export function timeZones(): string[] {
  zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];
  return zones;
}
