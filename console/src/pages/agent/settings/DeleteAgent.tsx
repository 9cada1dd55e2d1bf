// Deleting the agent, behind a dialog that asks for its name (its sessions are archived and its
// cron jobs deleted with it; its history stays in the activity log). Then back to the fleet.
import type { Agent } from '@agenfleet/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { useAuth } from '../../../api/auth';
import { ErrorNotice } from '../../../components/ErrorNotice';

export function DeleteAgent({ agent }: { agent: Agent }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (typed !== agent.name) return;
    setBusy(true);
    setError(null);
    try {
      await client.deleteAgent({ path: { id: agent.id } });
      dialog.current?.close();
      navigate('/', { replace: true });
      queryClient.removeQueries({ queryKey: ['agents', agent.id] });
      void queryClient.invalidateQueries({ queryKey: ['agents'] });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <section className="card stack settings-section danger-zone full-width" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete this agent</h2>
      <p className="small">
        Its sessions are archived and its cron jobs deleted; its name becomes free. Its history stays in the activity
        log. This cannot be undone.
      </p>
      <button
        type="button"
        className="button danger"
        onClick={() => {
          setTyped('');
          setError(null);
          dialog.current?.showModal();
        }}
      >
        Delete agent…
      </button>
      <dialog ref={dialog} aria-labelledby="delete-dialog-title">
        <form className="stack" onSubmit={(event) => void submit(event)}>
          <h2 id="delete-dialog-title" className="dialog-title">
            Delete {agent.name}?
          </h2>
          <label>
            <span>
              Type <strong className="mono">{agent.name}</strong> to confirm
            </span>
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
          </label>
          <ErrorNotice error={error} />
          <div className="actions dialog-actions">
            <button type="button" className="button secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="button danger" disabled={busy || typed !== agent.name}>
              {busy ? 'Deleting…' : 'Delete agent'}
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
