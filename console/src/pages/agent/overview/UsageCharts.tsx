// The agent's usage over a range as four charts (tokens, cost, latency, tool calls), from one
// `GET /v1/agents/{id}/metrics` answer. Series are memoised: the Chart redraws only on new data.
import type { MetricsBucket } from '@agenfleet/sdk';
import { useMemo } from 'react';
import { Chart, type ChartSeries } from '../../../components/Chart';
import { formatDuration, formatInteger, formatTokens, formatUsd } from '../../../components/format';

const COLORS = {
  input: '#2563eb',
  output: '#9333ea',
  cost: '#15803d',
  p50: '#0891b2',
  p95: '#c2410c',
  calls: '#64748b',
  failures: '#dc2626',
};

export function UsageCharts({ buckets }: { buckets: MetricsBucket[] }) {
  const charts = useMemo(() => {
    const times = buckets.map((b) => Date.parse(b.start) / 1000);
    const pick = (f: (b: MetricsBucket) => number | null) => buckets.map(f);
    const tokens: ChartSeries[] = [
      { label: 'Input tokens', values: pick((b) => b.inputTokens), color: COLORS.input, format: formatTokens },
      { label: 'Output tokens', values: pick((b) => b.outputTokens), color: COLORS.output, format: formatTokens },
    ];
    const cost: ChartSeries[] = [
      { label: 'Cost', values: pick((b) => b.costUsd), color: COLORS.cost, format: formatUsd, bars: true },
    ];
    const latency: ChartSeries[] = [
      { label: 'p50', values: pick((b) => b.latencyMsP50), color: COLORS.p50, format: formatDuration, points: true },
      { label: 'p95', values: pick((b) => b.latencyMsP95), color: COLORS.p95, format: formatDuration, points: true },
    ];
    const tools: ChartSeries[] = [
      { label: 'Tool calls', values: pick((b) => b.toolCalls), color: COLORS.calls, format: formatInteger, bars: true },
      { label: 'Failures', values: pick((b) => b.toolFailures), color: COLORS.failures, format: formatInteger, bars: true },
    ];
    return { times, tokens, cost, latency, tools };
  }, [buckets]);

  return (
    <div className="charts">
      <Chart title="Tokens in and out" times={charts.times} series={charts.tokens} />
      <Chart title="Cost (USD)" times={charts.times} series={charts.cost} />
      <Chart title="Reply latency, p50 and p95" times={charts.times} series={charts.latency} />
      <Chart title="Tool calls and failures" times={charts.times} series={charts.tools} />
    </div>
  );
}
