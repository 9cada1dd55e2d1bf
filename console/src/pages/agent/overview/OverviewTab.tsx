// Overview: today's counters, then tokens, cost, latency and tool calls as charts over the last
// 48 hours (per hour) or 30 days (per day), with their totals. The view is kept in ?range=.
import type { Agent } from '@agenfleet/sdk';
import { useSearchParams } from 'wouter';
import { Loading } from '../../../components/bits';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { useNow } from '../../../components/useNow';
import { useAgentSeries } from '../queries';
import { parseRange, rangeOf, type RangeName } from './range';
import { TodayCounters } from './TodayCounters';
import { Totals } from './Totals';
import { UsageCharts } from './UsageCharts';

const VIEWS: { name: RangeName; label: string }[] = [
  { name: '48h', label: '48 hours' },
  { name: '30d', label: '30 days' },
];

export function OverviewTab({ agent }: { agent: Agent }) {
  const now = useNow(60_000);
  const [params, setParams] = useSearchParams();
  const range = rangeOf(parseRange(params.get('range')), now);
  const series = useAgentSeries(agent.id, range.granularity, range.from, range.to);

  return (
    <>
      <TodayCounters agent={agent} now={now} />
      <section aria-labelledby="usage-heading">
        <div className="toolbar">
          <h2 id="usage-heading">{range.label}</h2>
          <div className="segmented" role="group" aria-label="Period">
            {VIEWS.map((view) => (
              <button
                key={view.name}
                type="button"
                className="button secondary"
                aria-pressed={range.name === view.name}
                onClick={() => setParams(view.name === '48h' ? {} : { range: view.name }, { replace: true })}
              >
                {view.label}
              </button>
            ))}
          </div>
        </div>
        <ErrorNotice error={series.error} />
        {series.data ? (
          <div aria-busy={series.isPlaceholderData} className={series.isPlaceholderData ? 'stale' : undefined}>
            <Totals buckets={series.data} caption={`Totals, ${range.label.toLowerCase()}`} />
            <UsageCharts buckets={series.data} />
          </div>
        ) : (
          series.isPending && <Loading what="Loading usage" />
        )}
      </section>
    </>
  );
}
