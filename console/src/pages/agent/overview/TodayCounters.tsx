// Today's (UTC) counters of one agent: tokens from the agent itself, cost, messages and tool
// calls from its hourly series of the day.
import type { Agent } from '@agenfleet/sdk';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { formatInteger, formatUsd, startOfUtcDay } from '../../../components/format';
import { useAgentSeries } from '../queries';
import { sumSeries } from './Totals';

const DAY = 86_400_000;

export function TodayCounters({ agent, now }: { agent: Agent; now: number }) {
  const from = startOfUtcDay(new Date(now));
  const to = new Date(Date.parse(from) + DAY).toISOString();
  const today = useAgentSeries(agent.id, 'hour', from, to);
  const sums = today.data ? sumSeries(today.data) : undefined;
  const items: [string, string, string][] = [
    ['tokens-in', 'Input tokens', formatInteger(agent.tokensTodayInput)],
    ['tokens-out', 'Output tokens', formatInteger(agent.tokensTodayOutput)],
    ['cost', 'Cost', sums ? formatUsd(sums.costUsd) : '…'],
    ['messages', 'Messages', sums ? formatInteger(sums.messages) : '…'],
    ['tool-calls', 'Tool calls (failed)', sums ? `${formatInteger(sums.toolCalls)} (${formatInteger(sums.toolFailures)})` : '…'],
    ['open-sessions', 'Open sessions', formatInteger(agent.openSessionCount)],
  ];
  return (
    <section aria-labelledby="today-heading">
      <h2 id="today-heading">Today (UTC)</h2>
      <ErrorNotice error={today.error} />
      <dl className="stats">
        {items.map(([id, label, value]) => (
          <div className="stat" key={id}>
            <dt className="label">{label}</dt>
            <dd className="value" data-testid={`today-${id}`}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
