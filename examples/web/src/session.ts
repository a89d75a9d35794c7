// The pasted token lives in this tab's sessionStorage only: it is gone when the tab
// closes, and no other tab or site sees it.
const KEY = 'fellowship.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Keeps `value` (a bare token or `Bearer ...`); an empty value signs out. */
export function storeToken(value: string): string | null {
  const token = value.trim().replace(/^Bearer\s+/i, '');
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
  return token || null;
}
