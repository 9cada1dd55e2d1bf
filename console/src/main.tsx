import { QueryCache, QueryClient, QueryClientProvider, MutationCache } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { AuthProvider, REFUSED_NOTICE, restoredSession } from './api/auth';
import { isUnauthorized } from './api/errors';
import { forgetKey } from './api/session';
import { prefetchFleet } from './pages/fleet/queries';
import { FLEET_ROUTE_ID, router } from './routes';
import './styles.css';

/** A 401 anywhere means the key is gone (revoked, expired): back to sign-in, saying why. */
function onError(error: unknown): void {
  if (!isUnauthorized(error)) return;
  forgetKey(REFUSED_NOTICE);
  queryClient.clear();
  void router.navigate('/sign-in');
  window.dispatchEvent(new Event('agenfleet:signed-out'));
}

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
// Opened on the fleet page (the home page) with a key: its data is asked for now, beside React's
// first render, not after it.
if (session && router.state.matches.at(-1)?.route.id === FLEET_ROUTE_ID) prefetchFleet(queryClient, session.client);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AuthProvider initial={session}>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>
  </StrictMode>,
);
