// The agent's default model and its fallbacks, in order (tried when the default fails).
import type { Agent } from '@agenfleet/sdk';
import { useState, type FormEvent } from 'react';
import { ModelSelect, useModels } from '../../../components/ModelSelect';
import { FormFooter } from './FormFooter';
import { useAgentPatch } from './useAgentPatch';

export function ModelForm({ agent }: { agent: Agent }) {
  const models = useModels();
  const [model, setModel] = useState(agent.config.model.default);
  const [fallbacks, setFallbacks] = useState(agent.config.model.fallbacks);
  const [adding, setAdding] = useState('');
  const patch = useAgentPatch(agent.id);
  const saved = agent.config.model;
  const dirty = model !== saved.default || fallbacks.join() !== saved.fallbacks.join();
  const addable = (models.data ?? []).filter((m) => m.id !== model && !fallbacks.includes(m.id));

  function submit(event: FormEvent) {
    event.preventDefault();
    patch.mutate({ config: { model: { default: model, fallbacks: fallbacks.filter((f) => f !== model) } } });
  }

  function move(index: number) {
    setFallbacks((list) => {
      const next = [...list];
      [next[index - 1], next[index]] = [next[index]!, next[index - 1]!];
      return next;
    });
  }

  return (
    <form className="card stack settings-section" onSubmit={submit} aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      <ModelSelect label="Default model" value={model} onChange={(e) => setModel(e.target.value)} />
      <fieldset>
        <legend>Fallbacks, in the order they are tried</legend>
        {fallbacks.length === 0 ? (
          <p className="muted small">No fallbacks: a failing default model fails the reply.</p>
        ) : (
          <ol className="chip-list">
            {fallbacks.map((fallback, index) => (
              <li key={fallback} className="chip">
                <span className="mono">{fallback}</span>
                {index > 0 && (
                  <button type="button" className="chip-button" aria-label={`Move ${fallback} up`} onClick={() => move(index)}>
                    ↑
                  </button>
                )}
                <button
                  type="button"
                  className="chip-button"
                  aria-label={`Remove ${fallback}`}
                  onClick={() => setFallbacks((list) => list.filter((f) => f !== fallback))}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
        )}
        <div className="field-row align-end">
          <label>
            Add a fallback
            <select value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose a model…</option>
              {addable.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} ({m.provider})
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button secondary"
            disabled={!adding}
            onClick={() => {
              setFallbacks((list) => [...list, adding]);
              setAdding('');
            }}
          >
            Add fallback
          </button>
        </div>
      </fieldset>
      <FormFooter label="Save model" pending={patch.isPending} saved={patch.isSuccess && !dirty} error={patch.error} disabled={!dirty} />
    </form>
  );
}
