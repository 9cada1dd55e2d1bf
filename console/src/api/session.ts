// Where the console keeps the API key: sessionStorage only (gone when the tab closes), never
// localStorage, a cookie or a URL. `signOut` forgets it.
const STORAGE_KEY = 'agenfleet.apiKey';
const NOTICE_KEY = 'agenfleet.signInNotice';

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

/** Forgets the key; `notice` is shown once on the sign-in page (why the user is there). */
export function forgetKey(notice?: string): void {
  sessionStorage.removeItem(STORAGE_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  else sessionStorage.removeItem(NOTICE_KEY);
}

/** The notice left by the last sign-out, read once. */
export function takeSignInNotice(): string | null {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

/** The notice left by the last sign-out, without forgetting it (safe to read on every render). */
export function peekSignInNotice(): string | null {
  return sessionStorage.getItem(NOTICE_KEY);
}
