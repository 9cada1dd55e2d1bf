// The activity filters, applied when submitted (into the URL).
import { useState, type FormEvent } from 'react';
import { useAllAgents } from '../../api/agents';
import { Field } from '../../components/Field';
import { viewerTimeZone } from '../../components/format';
import { ACTOR_TYPES, hasFilters, type ActivityFilters } from './filters';

const EMPTY: ActivityFilters = { type: '', agentId: '', actorType: '', from: '', to: '' };

export function FilterForm({ value, onApply }: { value: ActivityFilters; onApply: (filters: ActivityFilters) => void }) {
  const [draft, setDraft] = useState(value);
  const agents = useAllAgents();
  const set = <K extends keyof ActivityFilters>(key: K, v: ActivityFilters[K]) => setDraft((d) => ({ ...d, [key]: v }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }

  return (
    <form className="filters card" onSubmit={submit} aria-label="Filters">
      <Field label="Type" hint="Comma list; cron.* for a family">
        {(control) => (
          <input
            {...control}
            className="mono"
            value={draft.type}
            onChange={(e) => set('type', e.target.value)}
            placeholder="agent.created, cron.*"
            spellCheck={false}
          />
        )}
      </Field>
      <Field label="Agent">
        {(control) => (
          <select {...control} value={draft.agentId} onChange={(e) => set('agentId', e.target.value)}>
            <option value="">Any agent</option>
            {agents.data?.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
            {draft.agentId && !agents.data?.some((a) => a.id === draft.agentId) && (
              <option value={draft.agentId}>{draft.agentId}</option>
            )}
          </select>
        )}
      </Field>
      <Field label="Actor">
        {(control) => (
          <select
            {...control}
            value={draft.actorType}
            onChange={(e) => set('actorType', e.target.value as ActivityFilters['actorType'])}
          >
            <option value="">Anyone</option>
            {ACTOR_TYPES.map((actor) => (
              <option key={actor} value={actor}>
                {actor === 'api_key' ? 'API key' : actor === 'agent' ? 'Agent' : 'System'}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="From" hint={viewerTimeZone()}>
        {(control) => (
          <input {...control} type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />
        )}
      </Field>
      <Field label="To" hint={viewerTimeZone()}>
        {(control) => (
          <input {...control} type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />
        )}
      </Field>
      <div className="actions filter-actions">
        <button type="submit" className="button">
          Apply
        </button>
        {hasFilters(value) && (
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setDraft(EMPTY);
              onApply(EMPTY);
            }}
          >
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
