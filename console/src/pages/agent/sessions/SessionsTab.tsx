// The agent's sessions (newest first, 20 a page, filtered by status; both kept in the URL), each
// opening its messages; archive one, or prune those inactive since a date (read-write keys only).
import type { SessionStatus } from '@agenfleet/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { useAuth } from '../../../api/auth';
import { Empty, Loading, StatusBadge } from '../../../components/bits';
import { ConfirmButton } from '../../../components/ConfirmButton';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { formatDateTime, formatInteger, formatRelative } from '../../../components/format';
import { offsetParam, Pager } from '../../../components/Pager';
import { useNow } from '../../../components/useNow';
import { PruneSessions } from './PruneSessions';
import { useArchive } from './useArchive';

const LIMIT = 20;
const FILTERS: { value: SessionStatus | null; label: string }[] = [
  { value: null, label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'archived', label: 'Archived' },
];

export function SessionsTab({ agentId }: { agentId: string }) {
  const { client, canWrite } = useAuth();
  const archive = useArchive();
  const now = useNow();
  const [params, setParams] = useSearchParams();
  const status = FILTERS.find((f) => f.value === params.get('status'))?.value ?? null;
  const offset = offsetParam(params);
  const sessions = useQuery({
    queryKey: ['sessions', 'agent', agentId, status, offset],
    queryFn: async () =>
      (
        await client.listSessions({
          query: { agentId, limit: LIMIT, offset, ...(status ? { status } : {}) },
        })
      ).data,
    placeholderData: keepPreviousData,
  });

  function show(next: { status?: SessionStatus | null; offset?: number }) {
    const query = new URLSearchParams();
    const s = next.status === undefined ? status : next.status;
    if (s) query.set('status', s);
    if (next.offset) query.set('offset', String(next.offset));
    setParams(query);
  }

  return (
    <section aria-labelledby="sessions-heading">
      <div className="toolbar">
        <h2 id="sessions-heading">Sessions</h2>
        <div className="segmented" role="group" aria-label="Filter by status">
          {FILTERS.map((f) => (
            <button key={f.label} type="button" className="button secondary" aria-pressed={status === f.value} onClick={() => show({ status: f.value })}>
              {f.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorNotice error={sessions.error} />
      {sessions.isPending ? (
        <Loading what="Loading sessions" />
      ) : sessions.data && sessions.data.data.length === 0 ? (
        <Empty>{status ? `No ${status} sessions.` : 'No sessions yet.'}</Empty>
      ) : (
        sessions.data && (
          <>
            <div className="table-wrap">
              <table data-testid="sessions-table">
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">Status</th>
                    <th scope="col">Origin</th>
                    <th scope="col" className="num">Messages</th>
                    <th scope="col" className="num">Tokens</th>
                    <th scope="col">Last activity</th>
                    {canWrite && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {sessions.data.data.map((session) => (
                    <tr key={session.id} data-session-id={session.id}>
                      <td>
                        <Link to={`/agents/${agentId}/sessions/${session.id}`}>{session.name || 'Untitled session'}</Link>
                        <div className="mono small muted">{session.id}</div>
                      </td>
                      <td>
                        <StatusBadge status={session.status} />
                      </td>
                      <td>{session.origin}</td>
                      <td className="num">{formatInteger(session.messageCount)}</td>
                      <td className="num">{formatInteger(session.tokenCount)}</td>
                      <td title={formatDateTime(session.lastActivityAt)}>{formatRelative(session.lastActivityAt, now)}</td>
                      {canWrite && (
                        <td>
                          {session.status === 'active' && (
                            <ConfirmButton
                              label="Archive"
                              title="Archive this session?"
                              confirmLabel="Archive session"
                              className="button secondary small-button"
                              onConfirm={() => archive(session.id)}
                            >
                              <p>
                                “{session.name || session.id}” will take no more messages. Its history stays readable.
                              </p>
                            </ConfirmButton>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager pagination={sessions.data.pagination} onOffset={(o) => show({ offset: o })} label="Session pages" />
          </>
        )
      )}
      {canWrite && <PruneSessions agentId={agentId} />}
    </section>
  );
}
