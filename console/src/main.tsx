import { QueryCache, QueryClient, QueryClientProvider, MutationCache, notifyManager } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Router } from 'wouter';
import { AuthProvider, prefetchKeyDescription, REFUSED_NOTICE, restoredSession } from './api/auth';
import { isUnauthorized } from './api/errors';
import { forgetKey } from './api/session';
import { prefetchFleet } from './pages/fleet/queries';
import { isFleetPath, ROUTER_BASE } from './base';
import { AppRoutes } from './routes';
import './styles.css';

/** A 401 anywhere means the key is gone (revoked, expired): back to sign-in, saying why. */
function onError(error: unknown): void {
  if (!isUnauthorized(error)) return;
  forgetKey(REFUSED_NOTICE);
  queryClient.clear();
  // AuthProvider signs out and goes to the sign-in page (or, not mounted yet, finds no key).
  window.dispatchEvent(new Event('agenfleet:signed-out'));
}

// Answers that land within one frame are rendered together, just before that frame is painted
// (the fleet page's first answers: one render and one layout, not one per answer).
notifyManager.setScheduler((callback) => requestAnimationFrame(() => callback()));

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // The SDK already retries 429/503/504 with their Retry-After.
      retry: false,
    },
  },
});

const session = restoredSession();
if (session) {
  // Opened on the fleet page (the home page) with a key: its data is asked for now, beside
  // React's first render, not after it.
  if (isFleetPath(window.location.pathname)) prefetchFleet(queryClient, session.client);
  // And whatever the page, the key's scope (which write controls depend on) comes with its data.
  prefetchKeyDescription(queryClient, session);
}

// Two tasks rather than one long one, so that a phone's main thread stays responsive: the code
// above (with the requests it started), then the first render.
setTimeout(() => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <Router base={ROUTER_BASE}>
        <QueryClientProvider client={queryClient}>
          <AuthProvider initial={session}>
            <AppRoutes />
          </AuthProvider>
        </QueryClientProvider>
      </Router>
    </StrictMode>,
  );
});
