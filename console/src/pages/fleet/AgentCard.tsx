// One agent on the fleet page. Light on purpose (500 of them must render in well under a
// second): no requests of its own, memoised on its agent and usage rows, which react-query keeps
// identical while they do not change.
import type { Agent, AgentMetrics } from '@agenfleet/sdk';
import { memo } from 'react';
import { routeHref } from '../../base';
import { BudgetBar, StatusBadge } from '../../components/bits';
import { formatDateTime, formatInteger, formatRelative, formatTokens, formatUsd } from '../../components/format';

interface AgentCardProps {
  agent: Agent;
  usage: AgentMetrics | undefined;
  now: number;
}

function AgentCardView({ agent, usage, now }: AgentCardProps) {
  const tokensToday = agent.tokensTodayInput + agent.tokensTodayOutput;
  const { dailyTokenBudget, monthlyTokenBudget, alertThreshold: threshold } = agent.config.limits;
  const bars = Number(dailyTokenBudget != null) + Number(monthlyTokenBudget != null);
  const hasBudget = bars > 0;
  return (
    <li className={`agent-card card status-edge-${agent.status}`} data-testid="agent-card" data-agent-id={agent.id} data-status={agent.status}>
      <div className="agent-card-head">
        <h3>
          {/* Followed by the grid (FleetPage), not a `Link` each. */}
          <a href={routeHref(`/agents/${agent.id}`)} data-route={`/agents/${agent.id}`}>
            {agent.name}
          </a>
        </h3>
        <StatusBadge status={agent.status} />
      </div>
      <p className="agent-role">{agent.role || <span className="muted">No role</span>}</p>
      <p className="agent-model mono">{agent.model}</p>
      <dl className="facts">
        <div>
          <dt>Tokens today</dt>
          <dd data-testid="agent-tokens-today">{formatTokens(tokensToday)}</dd>
        </div>
        <div>
          <dt>Cost today</dt>
          <dd data-testid="agent-cost-today">{usage ? formatUsd(usage.costUsd) : '…'}</dd>
        </div>
        <div>
          <dt>Last active</dt>
          <dd title={formatDateTime(agent.lastActiveAt)}>{formatRelative(agent.lastActiveAt, now)}</dd>
        </div>
        <div>
          <dt>Open sessions</dt>
          <dd>{formatInteger(agent.openSessionCount)}</dd>
        </div>
      </dl>
      {!hasBudget ? (
        <p className="budget muted small">No budget</p>
      ) : usage === undefined ? (
        <div className="budget-placeholder" style={{ height: `${bars * 1.8}rem` }} aria-hidden="true" />
      ) : (
        <>
          {dailyTokenBudget != null && (
            <BudgetBar label="Daily budget" ratio={usage.dailyBudgetUtilization} threshold={threshold} />
          )}
          {monthlyTokenBudget != null && (
            <BudgetBar label="Monthly budget" ratio={usage.monthlyBudgetUtilization} threshold={threshold} />
          )}
        </>
      )}
    </li>
  );
}

export const AgentCard = memo(AgentCardView);
