// Signing in with an API key (the only credential the API has) and the client every page uses.
// The key's scope is learnt from `GET /v1/api-keys` (the entry whose prefix matches), so that a
// `read` key is shown no write controls. Signing in waits for that answer (it is the key's check);
// a session restored after a reload does not: its pages load at once, beside the check, and write
// controls appear when the scope is known (a 401 from the check signs out, as from any query).
import { AgenFleet, type ApiKey } from '@agenfleet/sdk';
import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { useLocation } from 'wouter';
import { forgetKey, storeKey, storedKey } from './session';

/** Shown on the sign-in page after the API refused the key in use (revoked or expired). */
export const REFUSED_NOTICE =
  'The API refused your key: it was revoked or has expired. Sign in with another key.';

export type Scope = ApiKey['scope'];

export interface Auth {
  client: AgenFleet;
  /** The key's scope; undefined while it is being checked. */
  scope: Scope | undefined;
  /** The key's own entry (name, prefix, expiry). */
  key: ApiKey | undefined;
  /** Whether to show write controls: only once the scope is known to be `read-write`. */
  canWrite: boolean;
  signOut: (notice?: string) => void;
}

interface AuthState {
  auth: Auth | null;
  signIn: (apiKey: string) => Promise<void>;
}

/** A key in use and its client; `id` names the session in query keys (never the key itself). */
export interface Session {
  id: number;
  apiKey: string;
  client: AgenFleet;
}


const AuthContext = createContext<AuthState | null>(null);

/** A client for `apiKey` against the origin that served the console. */
export function makeClient(apiKey: string): AgenFleet {
  return new AgenFleet({
    apiKey,
    baseUrl: window.location.origin,
    // A person is waiting: retry a busy server briefly, but hand a long Retry-After back to
    // be explained rather than spin for a minute.
    maxRetries: 2,
    maxRetryAfterSeconds: 5,
    // The console reads the API of the binary that serves it, whose answers the contract tests
    // check against the document: it skips zod, which would cost a phone ~60 KB and a long task
    // before the first paint, and ~0.5 ms per agent of a list (without eval, as the CSP wants).
    validate: false,
  });
}

let sessions = 0;
const newSession = (apiKey: string): Session => ({ id: ++sessions, apiKey, client: makeClient(apiKey) });

/** The key's own entry in `GET /v1/api-keys` (undefined if not listed); throws when refused. */
async function describeKey(client: AgenFleet, apiKey: string): Promise<ApiKey | undefined> {
  for await (const key of client.paginate((page) =>
    client.listApiKeys({ query: { ...page, limit: 100 } }),
  )) {
    if (apiKey.startsWith(key.prefix)) return key;
  }
  return undefined;
}

/** Query key of the key's description: under 'api-keys', so creating or revoking keys refreshes it. */
const KEY_DESCRIPTION = ['api-keys', 'self'] as const;

/** The key's description (see `AuthProvider`); none without a session. */
const keyDescriptionQuery = (session: Session | null) =>
  queryOptions({
    queryKey: [...KEY_DESCRIPTION, session?.id],
    queryFn: async () => (await describeKey(session!.client, session!.apiKey)) ?? null,
    enabled: session !== null,
    staleTime: 60_000,
  });

/** Starts checking a restored session's key at start-up, beside the first page's requests. */
export function prefetchKeyDescription(queryClient: QueryClient, session: Session): void {
  void queryClient.prefetchQuery(keyDescriptionQuery(session));
}

/** The session kept in sessionStorage (after a reload), or null: not checked yet. */
export function restoredSession(): Session | null {
  const apiKey = storedKey();
  return apiKey ? newSession(apiKey) : null;
}

export function AuthProvider({ children, initial }: { children: ReactNode; initial: Session | null }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(initial);
  const signOut = useCallback((notice?: string) => {
    forgetKey(notice);
    setSession(null);
  }, []);
  // main.tsx signals a 401 from any query (the key was revoked or expired meanwhile): to the
  // sign-in page. A key forgotten before this was mounted (a 401 from a request main.tsx
  // started) signs out too, and RequireAuth then goes to the sign-in page.
  const [, navigate] = useLocation();
  useEffect(() => {
    const onSignedOut = () => {
      navigate('/sign-in');
      setSession(null);
    };
    if (!storedKey()) setSession(null);
    window.addEventListener('agenfleet:signed-out', onSignedOut);
    return () => window.removeEventListener('agenfleet:signed-out', onSignedOut);
  }, [navigate]);
  const signIn = useCallback(
    async (apiKey: string) => {
      const next = newSession(apiKey);
      const key = await describeKey(next.client, apiKey);
      storeKey(apiKey);
      queryClient.setQueryData([...KEY_DESCRIPTION, next.id], key ?? null);
      setSession(next);
    },
    [queryClient],
  );
  const description = useQuery(keyDescriptionQuery(session));
  const auth = useMemo((): Auth | null => {
    if (!session) return null;
    const key = description.data ?? undefined;
    // A key the list does not show, or a check that failed for another reason than a 401 (which
    // signs out): the API enforces the scope anyway, so offer the controls.
    const scope: Scope | undefined =
      key?.scope ?? (description.isSuccess || description.isError ? 'read-write' : undefined);
    return { client: session.client, key, scope, canWrite: scope === 'read-write', signOut };
  }, [session, description.data, description.isSuccess, description.isError, signOut]);
  const value = useMemo(() => ({ auth, signIn }), [auth, signIn]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

function useAuthState(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

/** The signed-in user's client and scope (only under `RequireAuth`). */
export function useAuth(): Auth {
  const { auth } = useAuthState();
  if (!auth) throw new Error('useAuth: not signed in');
  return auth;
}

export function useSignIn(): AuthState['signIn'] {
  return useAuthState().signIn;
}

export function useMaybeAuth(): Auth | null {
  return useAuthState().auth;
}
