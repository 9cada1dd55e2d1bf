// Small shared pieces: status badges, budget bars, loading and empty states, page headers.
import type { ReactNode } from 'react';
import { formatPercent } from './format';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/** Usage of a budget (0..1+); warns from `threshold`, alarms at 1. */
export function BudgetBar({ label, ratio, threshold = 0.8 }: { label: string; ratio: number | null; threshold?: number }) {
  if (ratio === null) return <div className="budget muted small">{label}: no budget</div>;
  const level = ratio >= 1 ? 'over' : ratio >= threshold ? 'near' : 'ok';
  return (
    <div className={`budget budget-${level}`}>
      <div className="budget-label small">
        <span>{label}</span>
        <span>{formatPercent(ratio)}</span>
      </div>
      <div
        className="budget-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(ratio * 100)}
      >
        <div className="budget-fill" style={{ width: `${Math.min(ratio, 1) * 100}%` }} />
      </div>
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      {/* The actions share the title's row, which is as tall as a button with or without them:
          controls that appear once the key's scope is known push nothing down. */}
      <div className="page-title">
        <h1>{title}</h1>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {children}
    </header>
  );
}
