// Activity: the tenant's log, filtered and paginated, with a live tail and the hash chain's
// verification.
import type { ActivityEntry } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'wouter';
import { useAgentsById } from '../../api/agents';
import { useAuth } from '../../api/auth';
import { useApiKeys } from '../../api/keys';
import { Empty, Loading, PageHeader } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { offsetParam, Pager } from '../../components/Pager';
import { useActivityEntries, useLiveConnected } from '../../live/activity';
import { ActivityTable } from './ActivityTable';
import { ChainVerification } from './ChainVerification';
import { entryMatches, filtersFromParams, filtersToParams, filtersToQuery, hasFilters } from './filters';
import { FilterForm } from './FilterForm';

const PER_PAGE = 50;
/** How many live entries are kept above the first page. */
const LIVE_CAP = 200;

export function ActivityPage() {
  const { client } = useAuth();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const query = useMemo(() => filtersToQuery(filtersFromParams(params)), [params]);
  const offset = offsetParam(params);
  const agents = useAgentsById();
  const apiKeys = useApiKeys();
  const keyNames = useMemo(() => new Map((apiKeys.data ?? []).map((k) => [k.id, k.name])), [apiKeys.data]);
  const connected = useLiveConnected();
  const [liveTail, setLiveTail] = useState(true);
  const [live, setLive] = useState<ActivityEntry[]>([]);
  const queryKey = JSON.stringify(query);

  // Not under the 'activity' root on purpose: the live stream would refetch this page on every
  // entry. The page stays still while you read it; the live tail adds new entries on top.
  const page = useQuery({
    queryKey: ['activity-log', queryKey, offset],
    queryFn: async () => (await client.listActivity({ query: { ...query, limit: PER_PAGE, offset } })).data,
    placeholderData: (previous) => previous,
  });

  // Live entries are for this filter's first page; forget them when either changes.
  const [liveFor, setLiveFor] = useState(`${queryKey}/${offset}`);
  if (liveFor !== `${queryKey}/${offset}`) {
    setLiveFor(`${queryKey}/${offset}`);
    setLive([]);
  }

  useActivityEntries((entry) => {
    if (!liveTail || offset !== 0 || !entryMatches(entry, query)) return;
    setLive((current) => (current.some((e) => e.id === entry.id) ? current : [entry, ...current].slice(0, LIVE_CAP)));
  });

  const entries = useMemo(() => {
    const seen = new Set<string>();
    return [...live, ...(page.data?.data ?? [])]
      .filter((entry) => !seen.has(entry.id) && seen.add(entry.id))
      .sort((a, b) => b.sequence - a.sequence);
  }, [live, page.data]);
  const fresh = useMemo(() => new Set(live.map((entry) => entry.id)), [live]);

  function toggleLive(on: boolean) {
    setLiveTail(on);
    setLive([]);
    // Catch up with what happened while the tail was off.
    if (on) void page.refetch();
  }

  return (
    <>
      <PageHeader title="Activity">
        <p className="muted">Every change to the fleet, in order, hash-chained so it cannot be rewritten unseen.</p>
      </PageHeader>
      <ChainVerification />
      <FilterForm
        key={queryKey}
        value={filters}
        onApply={(next) => setParams(filtersToParams(next))}
      />

      <div className="section-header">
        <h2>{hasFilters(filters) ? 'Matching entries' : 'Entries'}</h2>
        <label className="inline switch">
          <input type="checkbox" role="switch" checked={liveTail} onChange={(e) => toggleLive(e.target.checked)} />
          Live tail
        </label>
        <span className="small muted" aria-live="polite">
          {liveTail
            ? offset !== 0
              ? 'New entries show on the first page.'
              : connected
                ? `${live.length} new since you opened this page`
                : 'Connecting to the live stream…'
            : 'Paused'}
        </span>
      </div>

      <ErrorNotice error={page.error} />
      {page.isPending && !page.error && <Loading what="Loading activity" />}
      {page.data && entries.length === 0 && <Empty>No entries{hasFilters(filters) ? ' match these filters' : ''}.</Empty>}
      {entries.length > 0 && <ActivityTable entries={entries} agents={agents} keys={keyNames} fresh={fresh} />}
      {page.data && (
        <Pager
          label="Activity pages"
          pagination={page.data.pagination}
          onOffset={(next) => setParams({ ...filtersToParams(filters), offset: String(next) })}
        />
      )}
    </>
  );
}
