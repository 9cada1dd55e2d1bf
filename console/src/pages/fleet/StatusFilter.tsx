// Filter the fleet by status: toggle buttons saying how many agents each status has.
import type { AgentStatus } from '@agenfleet/sdk';

export const STATUSES: AgentStatus[] = ['online', 'degraded', 'offline', 'provisioning'];

const LABELS: Record<AgentStatus | 'all', string> = {
  all: 'All',
  online: 'Online',
  degraded: 'Degraded',
  offline: 'Offline',
  provisioning: 'Provisioning',
};

export function StatusFilter({
  value,
  counts,
  onChange,
}: {
  value: AgentStatus | null;
  counts: Record<AgentStatus | 'all', number>;
  onChange: (status: AgentStatus | null) => void;
}) {
  return (
    <div className="segmented" role="group" aria-label="Filter by status">
      {(['all', ...STATUSES] as const).map((status) => {
        const pressed = status === 'all' ? value === null : value === status;
        return (
          <button
            key={status}
            type="button"
            className="button secondary"
            aria-pressed={pressed}
            data-status={status}
            onClick={() => onChange(status === 'all' ? null : status)}
          >
            {status !== 'all' && <span className={`dot dot-${status}`} aria-hidden="true" />}
            {LABELS[status]} <span className="count">{counts[status]}</span>
          </button>
        );
      })}
    </div>
  );
}

export function parseStatus(value: string | null): AgentStatus | null {
  return STATUSES.find((status) => status === value) ?? null;
}
