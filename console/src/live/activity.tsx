// One live activity stream per signed-in console (`GET /v1/activity/stream` through the SDK,
// resuming with Last-Event-ID). Pages subscribe to entries with `useActivityEntries`; every
// entry also marks the cached queries it may change as stale (batched, so a burst of entries
// costs one refetch per query, at most one a second), which is what moves the fleet page's
// cards without a reload.
import type { ActivityEntry } from '@agenfleet/sdk';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useAuth } from '../api/auth';

type Listener = (entry: ActivityEntry) => void;

interface Live {
  subscribe: (listener: Listener) => () => void;
  connected: boolean;
}

const LiveContext = createContext<Live | null>(null);

/** Query-key roots an entry of this type may make stale. */
export function staleRoots(type: string): string[] {
  const [subject] = type.split('.');
  switch (subject) {
    case 'agent':
      return ['agents', 'metrics', 'activity'];
    case 'session':
      return ['sessions', 'agents', 'metrics', 'activity'];
    case 'message':
      return ['sessions', 'messages', 'agents', 'metrics', 'activity'];
    case 'cron':
      return ['cron', 'sessions', 'activity'];
    case 'webhook':
      return ['webhooks', 'activity'];
    case 'api_key':
      return ['api-keys', 'activity'];
    default:
      return ['activity'];
  }
}

/** A refresh waits this long for more entries to come with it (a burst costs one refetch). */
const BATCH_MS = 250;
/**
 * And at least this long after the previous refresh: every refetch counts against the tenant's
 * rate limit (a fleet page of 500 agents refetches ~12 pages), so a busy fleet refreshes a page
 * about once a second rather than at the pace of its activity — still within the 2 s in which a
 * change should show.
 */
const MIN_INTERVAL_MS = 1_000;

function batchedInvalidator(queryClient: QueryClient) {
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return (entry: ActivityEntry) => {
    for (const root of staleRoots(entry.type)) pending.add(root);
    const wait = Math.max(BATCH_MS, last + MIN_INTERVAL_MS - Date.now());
    timer ??= setTimeout(() => {
      timer = undefined;
      last = Date.now();
      for (const root of pending) void queryClient.invalidateQueries({ queryKey: [root] });
      pending.clear();
    }, wait);
  };
}

export function LiveActivityProvider({ children }: { children: ReactNode }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const listeners = useRef(new Set<Listener>());
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    const invalidate = batchedInvalidator(queryClient);
    void (async () => {
      // Reconnects with Last-Event-ID inside the SDK; after it gives up, start over later.
      while (!abort.signal.aborted) {
        try {
          setConnected(true);
          for await (const entry of client.activityStream({ signal: abort.signal })) {
            invalidate(entry);
            for (const listener of listeners.current) listener(entry);
          }
        } catch (error) {
          if (abort.signal.aborted) return;
          console.warn('activity stream ended', error);
        }
        setConnected(false);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
    })();
    return () => abort.abort();
  }, [client, queryClient]);

  const live = useRef<Live>({
    subscribe: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
    connected: false,
  });
  live.current = { ...live.current, connected };
  return <LiveContext.Provider value={live.current}>{children}</LiveContext.Provider>;
}

/** Calls `listener` with each new activity entry while the component is mounted. */
export function useActivityEntries(listener: Listener): void {
  const live = useContext(LiveContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live?.subscribe((entry) => latest.current(entry)), [live]);
}

/** Whether the live stream is connected (for a "live" indicator). */
export function useLiveConnected(): boolean {
  return useContext(LiveContext)?.connected ?? false;
}
