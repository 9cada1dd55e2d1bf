// Sign in with an API key (the only credential the API has). The key is checked against the API
// before it is kept (sessionStorage only, see api/session.ts); a refused key is said in words.
import { useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { useHistoryState } from 'wouter/use-browser-location';
import { useSignIn } from '../api/auth';
import { peekSignInNotice, takeSignInNotice } from '../api/session';
import { ErrorNotice } from '../components/ErrorNotice';

/** Where RequireAuth sent us from (a path inside the console), or the fleet. */
function returnPath(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && from !== '/sign-in' ? from : '/';
}

export function SignInPage() {
  const signIn = useSignIn();
  const [, navigate] = useLocation();
  const state: unknown = useHistoryState();
  // Peeked, not taken: a re-render or a second mount must still show why the user is here. It is
  // forgotten once a sign-in succeeds.
  const [notice] = useState(peekSignInNotice);
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(apiKey.trim());
      takeSignInNotice();
      navigate(returnPath(state), { replace: true });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  const looksWrong = apiKey.trim() !== '' && !apiKey.trim().startsWith('afk_');
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card card">
        <p className="brand-mark" aria-hidden="true">
          <img src="/console/favicon.svg" alt="" width="32" height="32" />
          AgenFleet
        </p>
        <h1>Sign in to the console</h1>
        {notice && (
          <div className="notice notice-warn" role="status">
            {notice}
          </div>
        )}
        <ErrorNotice error={error} />
        <form className="stack" onSubmit={(event) => void submit(event)}>
          <label>
            API key
            <input
              type="password"
              name="apiKey"
              autoComplete="off"
              spellCheck={false}
              required
              value={apiKey}
              onChange={(event) => setApiKey(event.target.value)}
              aria-describedby="api-key-hint"
            />
          </label>
          {looksWrong && <p className="field-error">API keys start with afk_.</p>}
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <div id="api-key-hint" className="hint sign-in-help">
          <p>
            Keys start with <code>afk_</code>. <code>agenfleet dev</code> prints a read-write key in
            its banner; an operator makes more with <code>agenfleet admin create-key</code>, and a
            signed-in user under <strong>API keys</strong>.
          </p>
          <p>
            The key stays in this tab only (session storage): closing the tab or signing out
            forgets it. A <strong>read</strong> key sees everything and changes nothing.
          </p>
        </div>
      </div>
    </main>
  );
}
