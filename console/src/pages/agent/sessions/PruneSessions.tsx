// Archive, in one go, every active session of the agent inactive since before a chosen time
// (`POST /v1/sessions/prune`), after a confirmation.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAuth } from '../../../api/auth';
import { ConfirmButton } from '../../../components/ConfirmButton';
import { formatDateTime, formatInteger, fromDateTimeLocal, toDateTimeLocal } from '../../../components/format';

const WEEK = 7 * 86_400_000;

export function PruneSessions({ agentId }: { agentId: string }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [before, setBefore] = useState(() => toDateTimeLocal(new Date(Date.now() - WEEK).toISOString()));
  const [archived, setArchived] = useState<number | null>(null);
  const beforeIso = fromDateTimeLocal(before);

  async function prune() {
    if (!beforeIso) return;
    const { data } = await client.pruneSessions({ body: { before: beforeIso, agentId } });
    setArchived(data.archived);
    await queryClient.invalidateQueries({ queryKey: ['sessions'] });
    await queryClient.invalidateQueries({ queryKey: ['agents'] });
  }

  return (
    <div className="card prune">
      <h3>Prune inactive sessions</h3>
      <div className="field-row align-end">
        <label>
          Inactive since before
          <input
            type="datetime-local"
            value={before}
            required
            onChange={(event) => {
              setBefore(event.target.value);
              setArchived(null);
            }}
          />
        </label>
        {beforeIso && (
          <ConfirmButton
            label="Prune…"
            title="Archive inactive sessions?"
            confirmLabel="Archive them"
            onConfirm={prune}
          >
            <p>
              Every active session of this agent with no activity since before {formatDateTime(beforeIso)} will be
              archived. They take no more messages; their history stays.
            </p>
          </ConfirmButton>
        )}
      </div>
      {archived !== null && (
        <p role="status" className="notice notice-success">
          Archived {formatInteger(archived)} {archived === 1 ? 'session' : 'sessions'}.
        </p>
      )}
    </div>
  );
}
