import type { Network, NetworkInterface } from '@natgw/contracts';
import { collection } from '../api';
import { Card, ListTable } from '../components/list-table';
import { Notice } from '../components/notice';
import { href } from '../route';
import { useGet } from '../use-api';

/** Networks with their VNI and their NetworkInterfaces (addresses, node, NAT slots). */
export function Networks({ namespace }: { namespace: string }) {
  const networks = useGet<{ items: Network[] }>(collection(namespace, 'networks'));
  const nics = useGet<{ items: NetworkInterface[] }>(collection(namespace, 'networkinterfaces'));
  const nicsOf = (n: Network) =>
    (nics.data?.items ?? []).filter(
      (i) =>
        i.metadata.namespace === n.metadata.namespace && i.spec.networkRef.name === n.metadata.name,
    );
  return (
    <section aria-labelledby="nw-title">
      <h1 id="nw-title">Networks</h1>
      <Notice error={networks.error ?? nics.error}>{networks.loading ? 'loading…' : ''}</Notice>
      {(networks.data?.items ?? []).map((n) => {
        const name = `${n.metadata.namespace}/${n.metadata.name}`;
        return (
          <Card
            key={name}
            label={`network ${n.metadata.name}`}
            title={name}
            stream={`network:${name}`}
            facts={
              <span class="muted">
                VNI {(n.status as { vni?: number } | undefined)?.vni ?? '—'}
              </span>
            }
          >
            <ListTable
              caption={`NetworkInterfaces of ${n.metadata.name}`}
              columns={['NetworkInterface', 'Private IPs', 'Node', 'NAT']}
            >
              {nicsOf(n).map((i) => (
                <tr key={i.metadata.name}>
                  <td>
                    <a
                      href={href(['events'], {
                        stream: `networkinterface:${i.metadata.namespace}/${i.metadata.name}`,
                      })}
                    >
                      {i.metadata.name}
                    </a>
                  </td>
                  <td>{i.spec.ips.join(', ')}</td>
                  <td>{i.spec.nodeName ?? '—'}</td>
                  <td>
                    {(i.status?.nat ?? [])
                      .map((s) => `${s.ip}:${s.port}-${s.endPort} via ${s.natGatewayRef.name}`)
                      .join('; ') || 'none'}
                  </td>
                </tr>
              ))}
            </ListTable>
          </Card>
        );
      })}
    </section>
  );
}
