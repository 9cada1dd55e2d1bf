// The agent's activity entries, newest first: pages from `GET /v1/activity?agentId=`, and the
// entries arriving on the live stream meanwhile (shown at once, before any refetch).
import type { ActivityEntry } from '@agenfleet/sdk';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useAuth } from '../../../api/auth';
import { Empty, Loading } from '../../../components/bits';
import { ErrorNotice } from '../../../components/ErrorNotice';
import { useNow } from '../../../components/useNow';
import { useActivityEntries, useLiveConnected } from '../../../live/activity';
import { ActivityItem } from './ActivityItem';

const PAGE = 50;

export function ActivityTab({ agentId }: { agentId: string }) {
  const { client } = useAuth();
  const now = useNow();
  const connected = useLiveConnected();
  const [live, setLive] = useState<ActivityEntry[]>([]);
  useActivityEntries((entry) => {
    if (entry.agentId === agentId) setLive((entries) => [entry, ...entries].slice(0, 200));
  });

  const pages = useInfiniteQuery({
    queryKey: ['activity', 'agent', agentId],
    queryFn: async ({ pageParam }) =>
      (await client.listActivity({ query: { agentId, limit: PAGE, offset: pageParam } })).data,
    initialPageParam: 0,
    getNextPageParam: (last) => (last.pagination.hasMore ? last.pagination.offset + last.data.length : undefined),
  });

  const entries = useMemo(() => {
    const byId = new Map<string, ActivityEntry>();
    for (const entry of live) byId.set(entry.id, entry);
    for (const page of pages.data?.pages ?? []) for (const entry of page.data) byId.set(entry.id, entry);
    return [...byId.values()].sort((a, b) => b.sequence - a.sequence);
  }, [live, pages.data]);

  return (
    <section aria-labelledby="activity-heading">
      <div className="toolbar">
        <h2 id="activity-heading">Activity</h2>
        <span className="muted small">{connected ? 'New entries appear as they happen.' : 'Live updates paused (reconnecting).'}</span>
      </div>
      <ErrorNotice error={pages.error} />
      {pages.isPending ? (
        <Loading what="Loading activity" />
      ) : entries.length === 0 ? (
        <Empty>No activity for this agent yet.</Empty>
      ) : (
        <ol className="timeline" data-testid="activity-list">
          {entries.map((entry) => (
            <ActivityItem key={entry.id} entry={entry} now={now} />
          ))}
        </ol>
      )}
      {pages.hasNextPage && (
        <button
          type="button"
          className="button secondary"
          disabled={pages.isFetchingNextPage}
          onClick={() => void pages.fetchNextPage()}
        >
          {pages.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
        </button>
      )}
    </section>
  );
}
