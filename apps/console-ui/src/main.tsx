import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { Audit } from './pages/audit';
import { Events } from './pages/events';
import { Gateway } from './pages/gateway';
import { Gateways } from './pages/gateways';
import { Login } from './pages/login';
import { Networks } from './pages/networks';
import { Nodes } from './pages/nodes';
import { Pools } from './pages/pools';
import { href, navigate, Route, useRoute } from './route';
import { session } from './session';

const NAV: Array<[string, string]> = [
  ['gateways', 'Gateways'],
  ['networks', 'Networks'],
  ['pools', 'IP pools'],
  ['nodes', 'Nodes'],
  ['events', 'Events'],
  ['audit', 'Audit lookup'],
];

function Page({ route, namespace }: { route: Route; namespace: string }) {
  const [page, a, b] = route.path;
  switch (page) {
    case 'gateways':
      return a && b ? <Gateway namespace={a} name={b} /> : <Gateways namespace={namespace} />;
    case 'networks':
      return <Networks namespace={namespace} />;
    case 'pools':
      return <Pools />;
    case 'nodes':
      return <Nodes selected={a} />;
    case 'events':
      return <Events route={route} />;
    case 'audit':
      return <Audit />;
    default:
      return (
        <p>
          No such page. <a href={href(['gateways'])}>Gateways</a>
        </p>
      );
  }
}

function App() {
  const route = useRoute();
  const [namespace, setNamespace] = useState(session.namespace());
  const main = useRef<HTMLElement>(null);
  const signedIn = session.token() !== null;
  // Moves focus to the new page's content on navigation (not on the first load, where
  // the browser starts at the top and Tab reaches the skip link first).
  const navigated = useRef(false);
  useEffect(() => {
    if (navigated.current) main.current?.focus();
    navigated.current = true;
  }, [route.path.join('/')]);
  if (!signedIn || route.path[0] === 'login') {
    return (
      <main id="main" ref={main} tabIndex={-1}>
        <Login />
      </main>
    );
  }
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header>
        <span class="brand">natgw</span>
        <nav aria-label="main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={href([path])} aria-current={route.path[0] === path ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form
          class="ns"
          onSubmit={(e) => {
            e.preventDefault();
            const v =
              (
                new FormData(e.currentTarget as HTMLFormElement).get('namespace') as string
              ).trim() || 'default';
            session.setNamespace(v);
            setNamespace(v);
          }}
        >
          <label for="namespace">Namespace</label>
          <input
            id="namespace"
            name="namespace"
            defaultValue={namespace}
            size={12}
            aria-describedby="ns-help"
          />
          <span id="ns-help" class="sr-only">
            * for all namespaces (needs the "*" grant)
          </span>
          <button type="submit">Set</button>
        </form>
        <button
          type="button"
          onClick={() => {
            session.signOut();
            navigate(['login']);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} namespace={namespace} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
