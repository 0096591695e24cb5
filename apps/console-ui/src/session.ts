/**
 * The browser session: the bearer token and the namespace in sessionStorage, so
 * they last as long as the tab and are never written to disk or sent anywhere
 * but this API.
 */
const TOKEN = 'natgw.token';
const NAMESPACE = 'natgw.namespace';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN),
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN, token);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN);
  },
  namespace: (): string => sessionStorage.getItem(NAMESPACE) ?? 'default',
  setNamespace(ns: string): void {
    sessionStorage.setItem(NAMESPACE, ns);
  },
};
