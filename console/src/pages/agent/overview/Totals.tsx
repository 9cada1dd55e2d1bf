// Sums of a usage series (what the charts show, in numbers).
import type { MetricsBucket } from '@agenfleet/sdk';
import { formatInteger, formatUsd } from '../../../components/format';

export function sumSeries(buckets: MetricsBucket[]) {
  const total = { inputTokens: 0, outputTokens: 0, costUsd: 0, messages: 0, toolCalls: 0, toolFailures: 0 };
  for (const b of buckets) {
    total.inputTokens += b.inputTokens;
    total.outputTokens += b.outputTokens;
    total.costUsd += b.costUsd;
    total.messages += b.messages;
    total.toolCalls += b.toolCalls;
    total.toolFailures += b.toolFailures;
  }
  // Micro-dollar amounts summed in floating point: round back to micro-dollars.
  total.costUsd = Math.round(total.costUsd * 1e6) / 1e6;
  return total;
}

export function Totals({ buckets, caption }: { buckets: MetricsBucket[]; caption: string }) {
  const total = sumSeries(buckets);
  const items: [string, string, string][] = [
    ['input-tokens', 'Input tokens', formatInteger(total.inputTokens)],
    ['output-tokens', 'Output tokens', formatInteger(total.outputTokens)],
    ['cost', 'Cost', formatUsd(total.costUsd)],
    ['messages', 'Messages', formatInteger(total.messages)],
    ['tool-calls', 'Tool calls', formatInteger(total.toolCalls)],
    ['tool-failures', 'Tool failures', formatInteger(total.toolFailures)],
  ];
  return (
    <dl className="stats" aria-label={caption}>
      {items.map(([id, label, value]) => (
        <div className="stat" key={id}>
          <dt className="label">{label}</dt>
          <dd className="value" data-testid={`total-${id}`}>
            {value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
