import type { EventItem as LogEvent } from '@natgw/contracts';
import { href } from '../route';

/** Events of several lists in log order (by global position), without duplicates. */
export function mergeEvents(lists: readonly LogEvent[][]): LogEvent[] {
  const byId = new Map<string, LogEvent>();
  for (const list of lists) for (const e of list) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => {
    const d = BigInt(a.position) - BigInt(b.position);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
}

/**
 * A timeline: each event with its time, type, stream and actor, its data behind a
 * disclosure, and links to its cause, to what it caused and to its correlation.
 * `onTime` (the gateway page) offers to show the NAT table as of an event.
 */
export function Timeline({
  events,
  onTime,
  highlight,
}: {
  events: LogEvent[];
  onTime?: (time: string) => void;
  highlight?: (e: LogEvent) => boolean;
}) {
  if (events.length === 0) return <p class="muted">No events.</p>;
  return (
    <ol class="timeline" aria-label="events, oldest first">
      {events.map((e) => (
        <li
          key={e.id}
          class={highlight?.(e) ? 'event proof' : 'event'}
          data-type={e.type}
          data-id={e.id}
        >
          <div class="event-head">
            <time dateTime={e.time}>{e.time.replace('T', ' ').replace('Z', ' UTC')}</time>{' '}
            <strong>{e.type}</strong>{' '}
            <a href={href(['events'], { stream: e.stream })} class="stream">
              {e.stream}
            </a>
            <span class="muted"> v{e.version}</span>
            {e.metadata.actor ? <span class="muted"> by {e.metadata.actor}</span> : null}
          </div>
          <div class="event-links">
            {e.metadata.causationId ? (
              <a href={href(['events'], { id: e.metadata.causationId })}>cause</a>
            ) : null}
            <a href={href(['events'], { related: e.id, at: e.time })}>caused</a>
            {e.metadata.correlationId ? (
              <a href={href(['events'], { related: e.metadata.correlationId, at: e.time })}>
                correlation
              </a>
            ) : null}
            {onTime ? (
              <button type="button" class="link" onClick={() => onTime(e.time)}>
                NAT table then
              </button>
            ) : null}
          </div>
          <details>
            <summary>data</summary>
            <pre>{JSON.stringify({ data: e.data, metadata: e.metadata }, null, 2)}</pre>
          </details>
        </li>
      ))}
    </ol>
  );
}
