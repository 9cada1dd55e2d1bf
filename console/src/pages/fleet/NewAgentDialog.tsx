// "New agent": a dialog with the agent's name, role, description, model and budgets. On success
// the console opens the new agent's page.
import type { CreateAgentRequest } from '@agenfleet/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { useAuth } from '../../api/auth';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ModelSelect } from '../../components/ModelSelect';
import { parseBudget } from '../agent/settings/budget';

const DEFAULT_MODEL = 'claude-haiku-3.5';

export function NewAgentDialog() {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [model, setModel] = useState(DEFAULT_MODEL);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: CreateAgentRequest = {
      name: text('name'),
      config: {
        model: { default: model },
        limits: { dailyTokenBudget: parseBudget(text('daily')), monthlyTokenBudget: parseBudget(text('monthly')) },
      },
    };
    if (text('role')) body.role = text('role');
    if (text('description')) body.description = text('description');
    setBusy(true);
    setError(null);
    try {
      const { data: agent } = await client.createAgent({ body });
      await queryClient.invalidateQueries({ queryKey: ['agents'] });
      dialog.current?.close();
      navigate(`/agents/${agent.id}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button
        type="button"
        className="button"
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        New agent
      </button>
      <dialog ref={dialog} aria-labelledby="new-agent-title" className="wide">
        <h2 id="new-agent-title" className="dialog-title">
          New agent
        </h2>
        <form className="stack" onSubmit={(event) => void submit(event)}>
          <label>
            Name
            <input name="name" required maxLength={100} autoComplete="off" />
          </label>
          <label>
            Role <span className="hint">optional, e.g. “Customer support triage”</span>
            <input name="role" maxLength={100} autoComplete="off" />
          </label>
          <label>
            Description <span className="hint">optional</span>
            <textarea name="description" maxLength={500} rows={3} className="plain" />
          </label>
          <ModelSelect label="Model" value={model} onChange={(event) => setModel(event.target.value)} />
          <div className="field-row">
            <label>
              Daily token budget
              <input name="daily" type="number" min={1} step={1} inputMode="numeric" placeholder="No budget" />
            </label>
            <label>
              Monthly token budget
              <input name="monthly" type="number" min={1} step={1} inputMode="numeric" placeholder="No budget" />
            </label>
          </div>
          <ErrorNotice error={error} />
          <div className="actions dialog-actions">
            <button type="button" className="button secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="button" disabled={busy}>
              {busy ? 'Creating…' : 'Create agent'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
