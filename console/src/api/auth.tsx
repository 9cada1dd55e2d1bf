// Signing in with an API key (the only credential the API has) and the client every page uses.
// The key's scope is learnt at sign-in from `GET /v1/api-keys` (the entry whose prefix matches),
// so that a `read` key is shown no write controls.
import { AgenFleet, type ApiKey } from '@agenfleet/sdk';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { isUnauthorized } from './errors';
import { forgetKey, storeKey, storedKey } from './session';

/** Shown on the sign-in page after the API refused the key in use (revoked or expired). */
export const REFUSED_NOTICE =
  'The API refused your key: it was revoked or has expired. Sign in with another key.';

export type Scope = ApiKey['scope'];

export interface Auth {
  client: AgenFleet;
  scope: Scope;
  /** The key's own entry (name, prefix, expiry). */
  key: ApiKey | undefined;
  canWrite: boolean;
  signOut: (notice?: string) => void;
}

interface AuthState {
  auth: Auth | null;
  signIn: (apiKey: string) => Promise<void>;
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
  });
}

/** Checks the key against the API and learns its scope; throws the API's error when refused. */
async function describeKey(client: AgenFleet, apiKey: string): Promise<ApiKey | undefined> {
  for await (const key of client.paginate((page) =>
    client.listApiKeys({ query: { ...page, limit: 100 } }),
  )) {
    if (apiKey.startsWith(key.prefix)) return key;
  }
  return undefined;
}

function authFor(client: AgenFleet, key: ApiKey | undefined, signOut: Auth['signOut']): Auth {
  const scope: Scope = key?.scope ?? 'read-write';
  return { client, key, scope, canWrite: scope === 'read-write', signOut };
}

export function AuthProvider({ children, initial }: { children: ReactNode; initial: Auth | null }) {
  const [auth, setAuth] = useState<Auth | null>(initial);
  const signOut = useCallback((notice?: string) => {
    forgetKey(notice);
    setAuth(null);
  }, []);
  // main.tsx signals a 401 from any query (the key was revoked or expired meanwhile).
  useEffect(() => {
    const onSignedOut = () => setAuth(null);
    window.addEventListener('agenfleet:signed-out', onSignedOut);
    return () => window.removeEventListener('agenfleet:signed-out', onSignedOut);
  }, []);
  const signIn = useCallback(
    async (apiKey: string) => {
      const client = makeClient(apiKey);
      const key = await describeKey(client, apiKey);
      storeKey(apiKey);
      setAuth(authFor(client, key, signOut));
    },
    [signOut],
  );
  const value = useMemo(
    () => ({ auth: auth ? { ...auth, signOut } : null, signIn }),
    [auth, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** Restores a signed-in session from sessionStorage (after a reload), or null. */
export async function restoreAuth(): Promise<Auth | null> {
  const apiKey = storedKey();
  if (!apiKey) return null;
  const client = makeClient(apiKey);
  try {
    const key = await describeKey(client, apiKey);
    return authFor(client, key, forgetKey);
  } catch (error) {
    if (!isUnauthorized(error)) return authFor(client, undefined, forgetKey);
    forgetKey(REFUSED_NOTICE);
    return null;
  }
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
