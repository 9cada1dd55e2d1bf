// A session's messages, oldest first (pages of 100), with its totals; archive it from here.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { useAuth } from '../../../api/auth';
import { Empty, Loading, StatusBadge } from '../../../components/bits';
import { ConfirmButton } from '../../../components/ConfirmButton';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { formatDateTime, formatInteger } from '../../../components/format';
import { MessageItem } from './MessageItem';
import { useArchive } from './useArchive';

export function SessionView({ agentId }: { agentId: string }) {
  const { sessionId = '' } = useParams();
  const { client, canWrite } = useAuth();
  const archive = useArchive();
  const session = useQuery({
    queryKey: ['sessions', sessionId],
    queryFn: async () => (await client.getSession({ path: { id: sessionId } })).data,
  });
  const messages = useInfiniteQuery({
    queryKey: ['messages', sessionId],
    queryFn: async ({ pageParam }) =>
      (await client.listMessages({ path: { id: sessionId }, query: { limit: 100, offset: pageParam, order: 'asc' } })).data,
    initialPageParam: 0,
    getNextPageParam: (last) => (last.pagination.hasMore ? last.pagination.offset + last.data.length : undefined),
  });
  const list = messages.data?.pages.flatMap((page) => page.data) ?? [];
  const s = session.data;

  return (
    <section aria-labelledby="session-heading">
      <p className="small">
        <Link to={`/agents/${agentId}/sessions`}>← All sessions</Link>
      </p>
      <div className="toolbar">
        <h2 id="session-heading">{s ? s.name || 'Untitled session' : 'Session'}</h2>
        {s && <StatusBadge status={s.status} />}
        {s && canWrite && s.status === 'active' && (
          <ConfirmButton
            label="Archive"
            title="Archive this session?"
            confirmLabel="Archive session"
            className="button secondary"
            onConfirm={() => archive(s.id)}
          >
            <p>It will take no more messages. Its history stays readable.</p>
          </ConfirmButton>
        )}
      </div>
      <ErrorNotice error={session.error ?? messages.error} />
      {s && (
        <p className="muted small">
          <span className="mono">{s.id}</span> · opened {formatDateTime(s.createdAt)} by {s.origin === 'cron' ? 'a cron job' : 'the API'} ·{' '}
          {formatInteger(s.messageCount)} messages · {formatInteger(s.tokenCount)} tokens
          {s.archivedAt && ` · archived ${formatDateTime(s.archivedAt)}`}
        </p>
      )}
      {messages.isPending ? (
        <Loading what="Loading messages" />
      ) : list.length === 0 ? (
        !messages.error && <Empty>No messages in this session.</Empty>
      ) : (
        <ol className="messages" data-testid="messages">
          {list.map((message) => (
            <MessageItem key={message.id} message={message} />
          ))}
        </ol>
      )}
      {messages.hasNextPage && (
        <button type="button" className="button secondary" disabled={messages.isFetchingNextPage} onClick={() => void messages.fetchNextPage()}>
          {messages.isFetchingNextPage ? 'Loading…' : 'Load more messages'}
        </button>
      )}
    </section>
  );
}
