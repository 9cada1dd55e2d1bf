// Cost: the fleet's spend over a period — per day, by model and provider, by agent — and the
// agents near or over their token budgets.
import { useSearchParams } from 'wouter';
import { useAgentsById } from '../../api/agents';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, PageHeader } from '../../components/bits';
import { formatInteger, formatTokens, formatUsd } from '../../components/format';
import { AgentCostTable } from './AgentCostTable';
import { BudgetWatch } from './BudgetWatch';
import { ModelCostTable, ProviderCostTable } from './CostTables';
import { DailyCostChart } from './DailyCostChart';
import { describePeriod, periodFromParams } from './period';
import { PeriodPicker } from './PeriodPicker';
import { useAgentCosts, useSummary } from './queries';

export function CostPage() {
  const [params] = useSearchParams();
  const period = periodFromParams(params);
  const summary = useSummary(period);
  const agentCosts = useAgentCosts(period);
  const agents = useAgentsById();

  return (
    <>
      <PageHeader title="Cost">
        <p className="muted" data-testid="period" data-from={period.from} data-to={period.to}>
          {describePeriod(period)}
        </p>
      </PageHeader>
      <PeriodPicker key={`${period.from}/${period.to}`} period={period} />

      <ErrorNotice error={summary.error} />
      {summary.isPending && !summary.error && <Loading what="Loading the period's cost" />}
      {summary.data && (
        <dl className="stats" data-testid="cost-totals">
          <Stat label="Total cost" value={formatUsd(summary.data.costUsd)} testId="total-cost" />
          <Stat label="Input tokens" value={formatTokens(summary.data.tokens.input)} testId="input-tokens" />
          <Stat label="Output tokens" value={formatTokens(summary.data.tokens.output)} testId="output-tokens" />
          <Stat label="Replies" value={formatInteger(summary.data.messages.assistant)} testId="replies" />
          <Stat label="Agents active" value={formatInteger(summary.data.agents.activeInPeriod)} testId="agents-active" />
        </dl>
      )}

      <section aria-labelledby="daily-heading">
        <h2 id="daily-heading">Per day</h2>
        <ErrorNotice error={agentCosts.error} />
        {!agentCosts.error && (
          <DailyCostChart period={period} rows={agentCosts.data} totalUsd={summary.data?.costUsd} />
        )}
      </section>

      <section>
        <h2 id="model-heading">By model</h2>
        {summary.data ? <ModelCostTable summary={summary.data} /> : !summary.error && <Loading />}
      </section>
      <section>
        <h2 id="provider-heading">By provider</h2>
        {summary.data ? <ProviderCostTable summary={summary.data} /> : !summary.error && <Loading />}
      </section>

      <section aria-labelledby="agent-heading">
        <h2 id="agent-heading">By agent</h2>
        {agentCosts.data ? (
          <AgentCostTable rows={agentCosts.data} totalUsd={summary.data?.costUsd ?? 0} />
        ) : (
          !agentCosts.error && <Loading />
        )}
      </section>

      <section aria-labelledby="budget-heading">
        <h2 id="budget-heading">Budgets now</h2>
        <p className="small muted">Today's and this month's token use (UTC), whatever the period above.</p>
        {agentCosts.data ? <BudgetWatch rows={agentCosts.data} agents={agents} /> : !agentCosts.error && <Loading />}
      </section>
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat">
      <dt className="label">{label}</dt>
      <dd className="value" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}
