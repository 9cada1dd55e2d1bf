// The fleet's cost per day of the period, as bars (see useDailyCost for how it is summed).
import type { AgentMetrics } from '@agenfleet/sdk';
import { useMemo } from 'react';
import { Chart, type ChartSeries } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/bits';
import { formatUsd } from '../../components/format';
import type { Period } from './period';
import { useDailyCost } from './queries';

export function DailyCostChart({
  period,
  rows,
  totalUsd,
}: {
  period: Period;
  rows: AgentMetrics[] | undefined;
  totalUsd: number | undefined;
}) {
  const agentIds = useMemo(() => rows?.filter((row) => row.costUsd > 0).map((row) => row.agentId), [rows]);
  const daily = useDailyCost(period, agentIds);
  const series = useMemo<ChartSeries[]>(
    () => [{ label: 'Cost', values: daily.data?.costs ?? [], color: '#1d4ed8', format: formatUsd, bars: true }],
    [daily.data],
  );

  if (daily.error) return <ErrorNotice error={daily.error} />;
  if (!daily.data) return <Loading what="Loading the daily cost" />;
  const charted = Math.round(daily.data.costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6;
  const missing = totalUsd !== undefined ? Math.round((totalUsd - charted) * 1e6) / 1e6 : 0;
  return (
    <>
      <Chart title="Cost per day (UTC)" times={daily.data.days} series={series} />
      {missing > 0 && (
        <p className="small muted">
          The chart sums the current agents' daily cost: {formatUsd(missing)} of the period's total was spent by
          agents deleted since.
        </p>
      )}
    </>
  );
}
