/**
 * The operator token, kept for this browser session only (sessionStorage: gone when the tab or
 * browser closes, never in a URL or localStorage), and who is listening for sign-in and sign-out.
 */
const KEY = 'mpfleet.operatorToken';
const listeners = new Set<() => void>();

export function token(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function signIn(value: string): void {
  sessionStorage.setItem(KEY, value.trim());
  listeners.forEach((listener) => listener());
}

/** `reason`: why the operator is signed out (a rejected token), shown on the sign-in page. */
export let signOutReason: string | undefined;

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  signOutReason = reason;
  listeners.forEach((listener) => listener());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
