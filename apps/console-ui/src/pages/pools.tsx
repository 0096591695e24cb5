import { ADMIN } from '../api';
import { Notice } from '../components/notice';
import { Card, ListTable } from '../components/list-table';
import { useGet } from '../use-api';

interface Pool {
  metadata: { name: string };
  status: {
    prefixes: Array<{ prefix: string; family: string; total: string; used: number; free: string }>;
  };
}

/** A share for a meter: totals are strings (an IPv6 prefix outgrows a JSON number). */
const share = (used: number, total: string) => (Number(total) > 0 ? used / Number(total) : 0);

/** IP pools: each prefix with used and total addresses and a meter. Cluster-scoped: "*" grant. */
export function Pools() {
  const pools = useGet<{ items: Pool[] }>(`${ADMIN}/ippools`);
  return (
    <section aria-labelledby="pools-title">
      <h1 id="pools-title">IP pools</h1>
      <Notice error={pools.error}>{pools.loading ? 'loading…' : ''}</Notice>
      {(pools.data?.items ?? []).map((p) => (
        <Card
          key={p.metadata.name}
          label={`pool ${p.metadata.name}`}
          title={p.metadata.name}
          stream={`ippool:${p.metadata.name}`}
        >
          <ListTable
            caption={`Prefixes of ${p.metadata.name}`}
            columns={['Prefix', 'Family', 'Used / total', 'Utilisation']}
          >
            {p.status.prefixes.map((x) => (
              <tr key={x.prefix}>
                <td>{x.prefix}</td>
                <td>{x.family}</td>
                <td>
                  {x.used} / {x.total}
                </td>
                <td>
                  <meter
                    min={0}
                    max={1}
                    low={0.7}
                    high={0.9}
                    optimum={0}
                    value={share(x.used, x.total)}
                    aria-label={`${x.prefix} utilisation`}
                  />{' '}
                  {(share(x.used, x.total) * 100).toFixed(
                    share(x.used, x.total) < 0.01 && x.used > 0 ? 4 : 1,
                  )}
                  %
                </td>
              </tr>
            ))}
          </ListTable>
        </Card>
      ))}
    </section>
  );
}
