import { ADMIN } from '../api';
import { Notice } from '../components/notice';
import type { EventList } from '@natgw/contracts';
import { Timeline } from '../components/timeline';
import type { Route } from '../route';
import { href } from '../route';
import { useGet } from '../use-api';

/** The `events` call for a stream's newest events (of some types). */
export function eventsOf(stream: string, types: string[] = []): string {
  const q = new URLSearchParams({ stream, limit: '500' });
  if (types.length > 0) q.set('type', types.join(','));
  return `${ADMIN}/events?${q.toString()}`;
}

/** What the page shows: a stream, one event, or a correlation (or consequences) around an instant. */
function question(query: URLSearchParams): { title: string; path: string } | undefined {
  const stream = query.get('stream');
  const id = query.get('id');
  const related = query.get('related');
  if (stream) return { title: `Stream ${stream}`, path: eventsOf(stream) };
  if (id) return { title: `Event ${id}`, path: `${ADMIN}/events?${new URLSearchParams({ id })}` };
  if (related) {
    const at = query.get('at') ?? new Date().toISOString();
    return {
      title: `Events correlated with or caused by ${related}`,
      path: `${ADMIN}/events?${new URLSearchParams({ related, at })}`,
    };
  }
  return undefined;
}

/** The timeline of any object: its stream, an event's cause, a request's whole correlation. */
export function Events({ route }: { route: Route }) {
  const q = question(route.query);
  const result = useGet<EventList>(q?.path ?? null);
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">{q?.title ?? 'Events'}</h1>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const v = (
            new FormData(e.currentTarget as HTMLFormElement).get('stream') as string
          ).trim();
          if (v) location.hash = href(['events'], { stream: v });
        }}
      >
        <label for="stream">Stream</label>
        <input
          id="stream"
          name="stream"
          placeholder="natgateway:default/natgateway-sample"
          value={route.query.get('stream') ?? ''}
          aria-describedby="stream-help"
        />
        <button type="submit">Show</button>
        <p id="stream-help" class="muted">
          A log stream: <code>natgateway:&lt;namespace&gt;/&lt;name&gt;</code>,{' '}
          <code>networkinterface:…</code>, <code>network:…</code>,{' '}
          <code>allocation:&lt;gateway uid&gt;</code>, <code>ippool:&lt;pool&gt;</code>,{' '}
          <code>dataplane:&lt;node&gt;</code>.
        </p>
      </form>
      <Notice error={result.error}>{result.loading ? 'loading…' : ''}</Notice>
      {result.data ? (
        <>
          {result.data.omitted > 0 ? (
            <p class="muted">
              {result.data.omitted} event(s) of namespaces outside your token's grant are not shown.
            </p>
          ) : null}
          <Timeline events={result.data.items} />
        </>
      ) : null}
    </section>
  );
}
