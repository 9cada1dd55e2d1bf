// What a read key sees of the settings: every value, no control that changes one.
import type { Agent } from '@agenfleet/sdk';
import { formatInteger, formatPercent } from '../../../components/format';
import { Markdown } from '../../../components/Markdown';

const budget = (value: number | null | undefined) =>
  value === null || value === undefined ? 'No budget' : `${formatInteger(value)} tokens`;
const list = (items: string[], none: string) => (items.length ? items.join(', ') : none);

export function ReadOnlySettings({ agent, soul }: { agent: Agent; soul: string | undefined }) {
  const { model, tools, limits, gateway } = agent.config;
  const rows: [string, string][] = [
    ['Name', agent.name],
    ['Role', agent.role || '—'],
    ['Description', agent.description || '—'],
    ['Default model', model.default],
    ['Fallbacks', list(model.fallbacks, 'None')],
    ['Allowed tools', list(tools.allowed, 'None')],
    ['Daily token budget', budget(limits.dailyTokenBudget)],
    ['Monthly token budget', budget(limits.monthlyTokenBudget)],
    ['Alert threshold', formatPercent(limits.alertThreshold)],
    ['Gateway URL', gateway?.url ?? 'None'],
  ];
  return (
    <>
      <p className="notice notice-info">You are signed in with a read key: settings are shown, not editable.</p>
      <section className="card settings-section" aria-labelledby="settings-values-heading">
        <h2 id="settings-values-heading">Configuration</h2>
        <dl className="definition-list">
          {rows.map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="card settings-section" aria-labelledby="soul-heading">
        <h2 id="soul-heading">SOUL file</h2>
        <div data-testid="soul-preview">
          {soul === undefined ? <p className="muted">Loading…</p> : soul.trim() ? <Markdown source={soul} /> : <p className="muted">Empty.</p>}
        </div>
      </section>
    </>
  );
}
