// The SOUL file (the agent's Markdown persona) in an editor with a live preview. The preview goes
// through components/Markdown (sanitised); the source stays text.
import type { Agent } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useState, type FormEvent } from 'react';
import { useAuth } from '../../../api/auth';
import { formatInteger } from '../../../components/format';
import { Markdown } from '../../../components/Markdown';
import { FormFooter } from './FormFooter';

const MAX_BYTES = 65_536;
const encoder = new TextEncoder();

export function SoulEditor({ agent, initial }: { agent: Agent; initial: string }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(initial);
  const [soul, setSoul] = useState(initial);
  const preview = useDeferredValue(soul);
  const bytes = encoder.encode(soul).length;
  const save = useMutation({
    mutationFn: async (text: string) => (await client.putAgentSoul({ path: { id: agent.id }, body: { soul: text } })).data,
    onSuccess: (updated, text) => {
      setSaved(text);
      queryClient.setQueryData(['agents', agent.id], updated);
      queryClient.setQueryData(['agents', agent.id, 'soul'], text);
      void queryClient.invalidateQueries({ queryKey: ['agents'] });
    },
  });
  const dirty = soul !== saved;

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(soul);
  }

  return (
    <form className="card stack settings-section full-width" onSubmit={submit} aria-labelledby="soul-heading">
      <h2 id="soul-heading">SOUL file</h2>
      <p className="muted small">
        The agent’s persona and standing instructions, in Markdown.
        {agent.soulSha256 && (
          <>
            {' '}
            SHA-256 <span className="mono">{agent.soulSha256.slice(0, 12)}…</span>
          </>
        )}
      </p>
      <div className="soul-editor">
        <label>
          SOUL (Markdown)
          <textarea value={soul} onChange={(e) => setSoul(e.target.value)} spellCheck={false} rows={16} />
          <span className={bytes > MAX_BYTES ? 'field-error' : 'hint'}>
            {formatInteger(bytes)} of {formatInteger(MAX_BYTES)} bytes
          </span>
        </label>
        <div className="soul-preview" aria-labelledby="soul-preview-heading">
          <h3 id="soul-preview-heading">Preview</h3>
          <div data-testid="soul-preview">{preview.trim() ? <Markdown source={preview} /> : <p className="muted">Empty.</p>}</div>
        </div>
      </div>
      <FormFooter label="Save SOUL" pending={save.isPending} saved={save.isSuccess && !dirty} error={save.error} disabled={!dirty || bytes > MAX_BYTES} />
    </form>
  );
}
