// The fleet's aggregates: agents by status and active sessions (now), tokens and cost today and
// this month (UTC), from `GET /v1/metrics/summary`.
import type { MetricsSummary } from '@agenfleet/sdk';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatInteger, formatUsd } from '../../components/format';
import { useSummary } from './queries';

function Stat({ label, value, id }: { label: string; value: string | undefined; id: string }) {
  return (
    <div className="summary-stat">
      <dt>{label}</dt>
      <dd data-testid={`stat-${id}`}>{value ?? '…'}</dd>
    </div>
  );
}

const tokens = (s: MetricsSummary | undefined) =>
  s === undefined ? undefined : formatInteger(s.tokens.input + s.tokens.output);
const cost = (s: MetricsSummary | undefined) => (s === undefined ? undefined : formatUsd(s.costUsd));

export function FleetSummary({ dayStart, monthStart }: { dayStart: string; monthStart: string }) {
  const today = useSummary(dayStart);
  const month = useSummary(monthStart);
  const agents = today.data?.agents;
  const count = (n: number | undefined) => (n === undefined ? undefined : formatInteger(n));
  return (
    <section className="summary" aria-label="Fleet summary">
      <ErrorNotice error={today.error ?? month.error} />
      <div className="summary-grid">
        <div className="summary-card">
          <h2>Agents</h2>
          <dl className="summary-agents">
            <Stat id="online" label="Online" value={count(agents?.online)} />
            <Stat id="degraded" label="Degraded" value={count(agents?.degraded)} />
            <Stat id="offline" label="Offline" value={count(agents?.offline)} />
            <Stat id="provisioning" label="Provisioning" value={count(agents?.provisioning)} />
          </dl>
        </div>
        <div className="summary-card">
          <h2>Sessions</h2>
          <dl>
            <Stat id="active-sessions" label="Active now" value={count(today.data?.sessions.active)} />
          </dl>
        </div>
        <div className="summary-card">
          <h2>Today (UTC)</h2>
          <dl>
            <Stat id="tokens-today" label="Tokens" value={tokens(today.data)} />
            <Stat id="cost-today" label="Cost" value={cost(today.data)} />
          </dl>
        </div>
        <div className="summary-card">
          <h2>This month (UTC)</h2>
          <dl>
            <Stat id="tokens-month" label="Tokens" value={tokens(month.data)} />
            <Stat id="cost-month" label="Cost" value={cost(month.data)} />
          </dl>
        </div>
      </div>
    </section>
  );
}
