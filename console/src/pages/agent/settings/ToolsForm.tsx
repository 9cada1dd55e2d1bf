// The tools the agent may call (names of 1–64 characters: a–z, 0–9, _).
import type { Agent } from '@agenfleet/sdk';
import { useState, type FormEvent } from 'react';
import { FormFooter } from './FormFooter';
import { useAgentPatch } from './useAgentPatch';

const TOOL_NAME = /^[a-z0-9_]{1,64}$/;

export function ToolsForm({ agent }: { agent: Agent }) {
  const [tools, setTools] = useState(agent.config.tools.allowed);
  const [name, setName] = useState('');
  const patch = useAgentPatch(agent.id);
  const dirty = tools.join() !== agent.config.tools.allowed.join();
  const candidate = name.trim();
  const invalid = candidate !== '' && !TOOL_NAME.test(candidate);

  function add() {
    if (!candidate || invalid || tools.includes(candidate)) return;
    setTools((list) => [...list, candidate]);
    setName('');
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    patch.mutate({ config: { tools: { allowed: tools } } });
  }

  return (
    <form className="card stack settings-section" onSubmit={submit} aria-labelledby="tools-heading">
      <h2 id="tools-heading">Tools</h2>
      <p className="muted small">The tools this agent is allowed to call. None listed: no tools.</p>
      {tools.length > 0 && (
        <ul className="chip-list" aria-label="Allowed tools">
          {tools.map((tool) => (
            <li key={tool} className="chip">
              <span className="mono">{tool}</span>
              <button
                type="button"
                className="chip-button"
                aria-label={`Remove ${tool}`}
                onClick={() => setTools((list) => list.filter((t) => t !== tool))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="field-row align-end">
        <label>
          Tool name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
            placeholder="e.g. web_search"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={invalid}
            aria-describedby="tool-name-rule"
          />
        </label>
        <button type="button" className="button secondary" onClick={add} disabled={!candidate || invalid}>
          Add tool
        </button>
      </div>
      <p id="tool-name-rule" className={invalid ? 'field-error' : 'hint'}>
        Lowercase letters, digits and underscores, up to 64 characters.
      </p>
      <FormFooter label="Save tools" pending={patch.isPending} saved={patch.isSuccess && !dirty} error={patch.error} disabled={!dirty} />
    </form>
  );
}
