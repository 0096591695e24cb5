import type { Condition } from '@natgw/contracts';

/** Conditions as badges: green True, red False; the message as the badge's title. */
export function Conditions({ conditions }: { conditions?: Condition[] }) {
  if (!conditions || conditions.length === 0) return <span class="muted">none yet</span>;
  return (
    <ul class="badges" aria-label="conditions">
      {conditions.map((c) => (
        <li
          key={c.type}
          class={`badge ${c.status === 'True' ? 'ok' : c.status === 'False' ? 'bad' : 'unknown'}`}
          title={c.message}
        >
          {c.type}={c.status}
          {c.status !== 'True' && c.reason ? ` (${c.reason})` : ''}
        </li>
      ))}
    </ul>
  );
}
