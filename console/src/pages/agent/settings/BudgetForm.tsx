// Daily and monthly token budgets (empty: no budget) and the share of a budget at which an
// `agent.budget_alert` is raised.
import type { Agent } from '@agenfleet/sdk';
import { useState, type FormEvent } from 'react';
import { budgetText, parseBudget } from './budget';
import { FormFooter } from './FormFooter';
import { useAgentPatch } from './useAgentPatch';

export function BudgetForm({ agent }: { agent: Agent }) {
  const limits = agent.config.limits;
  const [daily, setDaily] = useState(budgetText(limits.dailyTokenBudget));
  const [monthly, setMonthly] = useState(budgetText(limits.monthlyTokenBudget));
  const [alertPercent, setAlertPercent] = useState(String(Math.round(limits.alertThreshold * 100)));
  const patch = useAgentPatch(agent.id);
  const dirty =
    daily !== budgetText(limits.dailyTokenBudget) ||
    monthly !== budgetText(limits.monthlyTokenBudget) ||
    alertPercent !== String(Math.round(limits.alertThreshold * 100));

  function submit(event: FormEvent) {
    event.preventDefault();
    patch.mutate({
      config: {
        limits: {
          dailyTokenBudget: parseBudget(daily),
          monthlyTokenBudget: parseBudget(monthly),
          alertThreshold: Number(alertPercent) / 100,
        },
      },
    });
  }

  return (
    <form className="card stack settings-section" onSubmit={submit} aria-labelledby="budgets-heading">
      <h2 id="budgets-heading">Budgets</h2>
      <p className="muted small">
        Tokens (input and output) per UTC day and month. When a budget is used up, new user messages are refused
        until it resets. Leave empty for no budget.
      </p>
      <div className="field-row">
        <label>
          Daily token budget
          <input type="number" min={1} step={1} inputMode="numeric" placeholder="No budget" value={daily} onChange={(e) => setDaily(e.target.value)} />
        </label>
        <label>
          Monthly token budget
          <input type="number" min={1} step={1} inputMode="numeric" placeholder="No budget" value={monthly} onChange={(e) => setMonthly(e.target.value)} />
        </label>
        <label>
          Alert at (% of a budget)
          <input type="number" min={1} max={100} step={1} required value={alertPercent} onChange={(e) => setAlertPercent(e.target.value)} />
        </label>
      </div>
      <FormFooter label="Save budgets" pending={patch.isPending} saved={patch.isSuccess && !dirty} error={patch.error} disabled={!dirty} />
    </form>
  );
}
