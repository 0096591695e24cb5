import { ADMIN } from '../api';
import { Notice } from '../components/notice';
import type { EventList } from '@natgw/contracts';
import { Timeline } from '../components/timeline';
import { href } from '../route';
import { useGet } from '../use-api';
import { eventsOf } from './events';
import { ListTable } from '../components/list-table';

interface NodeList {
  items: Array<{ name: string; events: number; lastEvent: string }>;
}

const DRIFT = ['DriftDetected', 'DriftRepaired', 'DataplaneApplyFailed', 'NATRulesRejected'];

/** Nodes with a dataplane-executor, and one node's drift, repairs, failures and rejections. */
export function Nodes({ selected }: { selected?: string }) {
  const nodes = useGet<NodeList>(`${ADMIN}/nodes`);
  const drift = useGet<EventList>(selected ? eventsOf(`dataplane:${selected}`, DRIFT) : null);
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      <Notice error={nodes.error}>{nodes.loading ? 'loading…' : ''}</Notice>
      <ListTable caption="Nodes" columns={['Node', 'Events', 'Last event']}>
        {(nodes.data?.items ?? []).map((n) => (
          <tr key={n.name}>
            <td>
              <a
                href={href(['nodes', n.name])}
                aria-current={n.name === selected ? 'page' : undefined}
              >
                {n.name}
              </a>
            </td>
            <td>{n.events}</td>
            <td>{n.lastEvent}</td>
          </tr>
        ))}
      </ListTable>
      {selected ? (
        <>
          <h2>Drift on {selected}</h2>
          <Notice error={drift.error} />
          {drift.data ? <Timeline events={drift.data.items} /> : null}
        </>
      ) : null}
    </section>
  );
}
