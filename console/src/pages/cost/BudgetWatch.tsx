// Agents near or over a token budget now (today's and this month's usage, whatever the period
// shown above): utilization at or beyond the agent's alert threshold, or used up.
import type { Agent, AgentMetrics } from '@agenfleet/sdk';
import { Link } from 'wouter';
import { BudgetBar, Empty } from '../../components/bits';
import { formatPercent } from '../../components/format';

interface Watched {
  row: AgentMetrics;
  threshold: number;
}

export function needsWatching(row: AgentMetrics, threshold: number): boolean {
  return [row.dailyBudgetUtilization, row.monthlyBudgetUtilization].some(
    (used) => used !== null && (used >= threshold || used >= 1),
  );
}

export function BudgetWatch({ rows, agents }: { rows: AgentMetrics[]; agents: Map<string, Agent> }) {
  const watched: Watched[] = rows
    .map((row) => ({ row, threshold: agents.get(row.agentId)?.config.limits.alertThreshold ?? 0.8 }))
    .filter(({ row, threshold }) => needsWatching(row, threshold))
    .sort((a, b) => worst(b.row) - worst(a.row));

  if (watched.length === 0) return <Empty>No agent is near its daily or monthly token budget.</Empty>;
  return (
    <ul className="grid plain-list" data-testid="budget-watch">
      {watched.map(({ row, threshold }) => (
        <li key={row.agentId} className="card">
          <h3 className="card-title">
            <Link to={`/agents/${row.agentId}`}>{row.name}</Link>
          </h3>
          <p className="small muted">Alerts from {formatPercent(threshold)} of a budget</p>
          <BudgetBar label="Today" ratio={row.dailyBudgetUtilization} threshold={threshold} />
          <BudgetBar label="This month" ratio={row.monthlyBudgetUtilization} threshold={threshold} />
        </li>
      ))}
    </ul>
  );
}

const worst = (row: AgentMetrics) => Math.max(row.dailyBudgetUtilization ?? 0, row.monthlyBudgetUtilization ?? 0);
