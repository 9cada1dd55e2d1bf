// What the cost page asks the API, per period. Keys start with 'metrics' so that the live
// stream refreshes them when replies are priced.
import type { AgenFleet, AgentMetrics } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';
import { daysOf, type Period } from './period';

export function useSummary(period: Period) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'summary', period.from, period.to],
    queryFn: async () => (await client.getMetricsSummary({ query: { from: period.from, to: period.to } })).data,
  });
}

/** Every current agent's totals over the period (all pages), by cost, highest first. */
export function useAgentCosts(period: Period) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'agents', period.from, period.to],
    queryFn: async () => {
      const rows: AgentMetrics[] = [];
      for await (const row of client.paginate((page) =>
        client.listAgentMetrics({ query: { ...page, from: period.from, to: period.to } }),
      )) {
        rows.push(row);
      }
      return rows;
    },
  });
}

/**
 * The fleet's cost per UTC day of the period. The public API has no fleet-wide daily series:
 * `/v1/metrics/summary` answers one range per call (90 calls for 90 days), whereas each agent's
 * `/v1/agents/{id}/metrics?granularity=day` gives every day at once. So we sum the daily series
 * of the agents that cost anything in the period (from `/v1/metrics/agents`): a handful of
 * calls. Deleted agents are not in that list, so the chart can fall short of the period's total
 * by their cost; the page says so when it does.
 */
export function useDailyCost(period: Period, agentIds: string[] | undefined) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'daily-cost', period.from, period.to, agentIds?.join(',')],
    enabled: agentIds !== undefined,
    queryFn: () => sumDailyCost(client, period, agentIds ?? []),
  });
}

async function sumDailyCost(client: AgenFleet, period: Period, agentIds: string[]) {
  const days = daysOf(period);
  const index = new Map(days.map((day, i) => [day, i]));
  const costs = days.map(() => 0);
  const queue = [...agentIds];
  // A few requests at a time: kind to the tenant's rate limit and to the server.
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const { data } = await client.getAgentMetrics({
        path: { id },
        query: { from: period.from, to: period.to, granularity: 'day' },
      });
      for (const bucket of data.series) {
        const i = index.get(Date.parse(bucket.start) / 1000);
        if (i !== undefined) costs[i] = (costs[i] ?? 0) + bucket.costUsd;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  // Sums of micro-dollar amounts: round back to micro-dollars (floating point drifts).
  return { days, costs: costs.map((c) => Math.round(c * 1e6) / 1e6) };
}
