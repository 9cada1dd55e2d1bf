// The home page: the fleet's aggregates, then one card per agent, filtered by status (kept in
// the URL as ?status=) and by name (?q=). Live: the activity stream invalidates the 'agents' and
// 'metrics' queries (live/activity.tsx), so cards move without a reload.
import type { AgentMetrics, AgentStatus } from '@agenfleet/sdk';
import { useDeferredValue, useMemo } from 'react';
import { useSearchParams } from 'wouter';
import { useAuth } from '../../api/auth';
import { Empty, Loading, PageHeader } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFollowLinks } from '../../components/followLinks';
import { compareNames, formatInteger, startOfUtcDay, startOfUtcMonth } from '../../components/format';
import { useNow } from '../../components/useNow';
import { AgentCard } from './AgentCard';
import { FleetSummary } from './FleetSummary';
import { NewAgentDialog } from './NewAgentDialog';
import { useAgentUsage, useFleetAgents } from './queries';
import { parseStatus, StatusFilter } from './StatusFilter';

export function FleetPage() {
  const { canWrite } = useAuth();
  const now = useNow();
  const dayStart = startOfUtcDay(new Date(now));
  const monthStart = startOfUtcMonth(new Date(now));
  const [params, setParams] = useSearchParams();
  const status = parseStatus(params.get('status'));
  const search = params.get('q') ?? '';
  const deferredSearch = useDeferredValue(search);

  const followLinks = useFollowLinks();
  const agents = useFleetAgents();
  const usage = useAgentUsage(dayStart);
  const usageById = useMemo(
    () => new Map<string, AgentMetrics>((usage.data ?? []).map((row) => [row.agentId, row])),
    [usage.data],
  );

  const counts = useMemo(() => {
    const result = { all: 0, online: 0, degraded: 0, offline: 0, provisioning: 0 } as Record<AgentStatus | 'all', number>;
    for (const agent of agents.data ?? []) {
      result.all += 1;
      result[agent.status] += 1;
    }
    return result;
  }, [agents.data]);

  const shown = useMemo(() => {
    const needle = deferredSearch.trim().toLowerCase();
    return (agents.data ?? [])
      .filter((a) => (status === null || a.status === status) && (!needle || a.name.toLowerCase().includes(needle)))
      .sort((a, b) => compareNames(a.name, b.name));
  }, [agents.data, status, deferredSearch]);

  function update(name: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const listTitle = status === null ? 'All agents' : `${status[0]!.toUpperCase()}${status.slice(1)} agents`;
  return (
    <>
      <PageHeader title="Fleet" actions={canWrite && <NewAgentDialog />}>
        <p className="muted">Every agent, what it costs today and how close it is to its budget.</p>
      </PageHeader>
      <FleetSummary dayStart={dayStart} monthStart={monthStart} />

      <section aria-labelledby="agents-heading">
        <div className="toolbar">
          <h2 id="agents-heading">
            {listTitle} <span className="muted">({formatInteger(shown.length)})</span>
          </h2>
          <StatusFilter value={status} counts={counts} onChange={(s) => update('status', s)} />
          <label className="search">
            <span className="visually-hidden">Search agents by name</span>
            <input
              type="search"
              placeholder="Search by name"
              value={search}
              onChange={(event) => update('q', event.target.value)}
            />
          </label>
        </div>
        <ErrorNotice error={agents.error ?? usage.error} />
        {agents.isPending ? (
          <Loading what="Loading agents" />
        ) : shown.length === 0 ? (
          <Empty>
            {counts.all === 0
              ? canWrite
                ? 'No agents yet. Create the first one with “New agent”.'
                : 'No agents yet.'
              : search
                ? 'No agent matches this search.'
                : `No ${status ?? ''} agents right now.`}
          </Empty>
        ) : (
          <ul className={shown.length > 60 ? 'agent-grid large' : 'agent-grid'} data-testid="agent-grid" onClick={followLinks}>
            {shown.map((agent) => (
              <AgentCard key={agent.id} agent={agent} usage={usageById.get(agent.id)} now={now} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
