// Choosing the cost page's period: a preset (last 7/30/90 days) or a custom first and last day.
// The choice lives in the URL (?days= or ?from=&to=), so it survives a reload and can be shared.
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'wouter';
import { customPeriod, lastDayOf, MAX_DAYS, PRESETS, utcDay, type Period } from './period';

export function PeriodPicker({ period }: { period: Period }) {
  const [, setParams] = useSearchParams();
  const [firstDay, setFirstDay] = useState(utcDay(period.from));
  const [lastDay, setLastDay] = useState(lastDayOf(period));
  const [error, setError] = useState<string | null>(null);

  function choosePreset(days: number) {
    setError(null);
    setParams({ days: String(days) });
  }

  function applyCustom(event: FormEvent) {
    event.preventDefault();
    const custom = customPeriod(firstDay, lastDay);
    if ('error' in custom) {
      setError(custom.error);
      return;
    }
    setError(null);
    setParams({ from: firstDay, to: lastDay });
  }

  return (
    <div className="period card">
      <div className="field">
        <span id="preset-label" className="field-label">
          Period
        </span>
        <div className="segmented" role="group" aria-labelledby="preset-label">
          {PRESETS.map((days) => (
            <button
              key={days}
              type="button"
              className="button secondary"
              aria-pressed={period.preset === days}
              onClick={() => choosePreset(days)}
            >
              {days} days
          </button>
          ))}
        </div>
      </div>
      <form className="period-custom" onSubmit={applyCustom} noValidate>
        <label>
          First day
          <input type="date" value={firstDay} onChange={(e) => setFirstDay(e.target.value)} required />
        </label>
        <label>
          Last day
          <input type="date" value={lastDay} onChange={(e) => setLastDay(e.target.value)} required />
        </label>
        <button type="submit" className="button secondary">
          Show these days
        </button>
        <p className="hint period-hint">UTC days, at most {MAX_DAYS} at a time.</p>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
