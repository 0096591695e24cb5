import { useEffect, useState } from 'preact/hooks';
import type { NATGateway } from '@natgw/contracts';
import { collection, errorText, get, watch } from '../api';
import { href } from '../route';
import { Conditions } from '../components/conditions';
import { Notice } from '../components/notice';
import { ListTable } from '../components/list-table';
import { ipLabel } from '../ip-state';

interface GatewayList {
  metadata: { resourceVersion: string };
  items: NATGateway[];
}

const key = (g: NATGateway) => `${g.metadata.namespace}/${g.metadata.name}`;

/**
 * Lists the namespace's NATGateways, then follows the watch from the list's
 * resourceVersion: creations, status changes and deletions appear without a
 * reload. When the watch ends (timeout, restart) it lists and watches again.
 */
function useLiveGateways(namespace: string) {
  const [gateways, setGateways] = useState(new Map<string, NATGateway>());
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    const path = collection(namespace, 'natgateways');
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const list = await get<GatewayList>(path, abort.signal);
          const map = new Map(list.items.map((g) => [key(g), g]));
          setGateways(new Map(map));
          setError(undefined);
          setLive(true);
          await watch<NATGateway>(
            path,
            list.metadata.resourceVersion,
            (e) => {
              if (e.type === 'ADDED' || e.type === 'MODIFIED') map.set(key(e.object), e.object);
              else if (e.type === 'DELETED') map.delete(key(e.object));
              else return;
              setGateways(new Map(map));
            },
            abort.signal,
          );
        } catch (e) {
          if (abort.signal.aborted) return;
          setError(errorText(e));
        }
        setLive(false);
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void run();
    return () => abort.abort();
  }, [namespace]);
  return {
    gateways: [...gateways.values()].sort((a, b) => key(a).localeCompare(key(b))),
    error,
    live,
  };
}

export function Gateways({ namespace }: { namespace: string }) {
  const { gateways, error, live } = useLiveGateways(namespace);
  return (
    <section aria-labelledby="gw-title">
      <h1 id="gw-title">NAT gateways</h1>
      <p class="muted" role="status">
        {live ? <span class="live">● live</span> : 'connecting…'}{' '}
        {namespace === '*' ? 'all namespaces' : `namespace ${namespace}`}, {gateways.length}{' '}
        gateway(s)
      </p>
      <Notice error={error} />
      <ListTable
        caption="NAT gateways"
        columns={['Name', 'Namespace', 'Network', 'Public IPs', 'Slots used / total', 'Conditions']}
        id="gateways"
      >
        {gateways.map((g) => (
          <tr key={key(g)} data-gateway={g.metadata.name}>
            <td>
              <a href={href(['gateways', g.metadata.namespace, g.metadata.name])}>
                {g.metadata.name}
              </a>
            </td>
            <td>{g.metadata.namespace}</td>
            <td>{g.spec.networkRef.name}</td>
            <td class="ips">{(g.status?.ips ?? []).map((ip) => ipLabel(ip)).join(', ') || '—'}</td>
            <td class="slots">
              {g.status?.usedSlots ?? 0} / {g.status?.totalSlots ?? 0}
            </td>
            <td>
              <Conditions conditions={g.status?.conditions} />
            </td>
          </tr>
        ))}
      </ListTable>
    </section>
  );
}
