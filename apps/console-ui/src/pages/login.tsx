import { useState } from 'preact/hooks';
import { errorText, get } from '../api';
import { navigate } from '../route';
import { session } from '../session';
import { Notice } from '../components/notice';

/**
 * Sign-in with a bearer token of the API's tokens file. The token is checked with
 * GET /apis (any known token may read discovery) and kept in sessionStorage.
 */
export function Login() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    session.signIn(token.trim());
    try {
      await get('/apis');
      navigate(['gateways']);
    } catch (err) {
      session.signOut();
      setError(`Sign-in failed: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="login-title" class="login">
      <h1 id="login-title">Sign in to natgw</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
          autoFocus
        />
        <p id="token-help" class="muted">
          A token from the API's <code>AUTH_TOKENS_FILE</code>. It is kept only for this browser
          tab. Leave it empty when the API runs without a tokens file (loopback only).
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <Notice error={error} />
    </section>
  );
}
