import { useEffect, useMemo, useState } from 'preact/hooks';
import type { EventList, NATGateway, NATTable, NetworkInterface } from '@natgw/contracts';
import { collection } from '../api';
import { Conditions } from '../components/conditions';
import { Notice } from '../components/notice';
import { SectionTable, SlotMap } from '../components/slot-map';
import { mergeEvents, Timeline } from '../components/timeline';
import { href } from '../route';
import { useGet } from '../use-api';
import { waitingNics } from '../waiting-nics';
import { busiestSlots } from '../port-usage';
import { eventsOf } from './events';
import { ipLabel } from '../ip-state';

const REFRESH_MS = 3000;

/** Re-renders every few seconds while `on`: the live table follows the allocator. */
function useTick(on: boolean): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, [on]);
  return tick;
}

/**
 * The time slider: from the gateway's creation to now, one step per second. At the
 * right end the table is live; anywhere else it is `nattable?at=` that instant.
 */
function TimeSlider({
  from,
  at,
  onChange,
}: {
  from: number;
  at: number | null;
  onChange: (at: number | null) => void;
}) {
  // The right end is now, as of this render (the page re-renders every few seconds).
  // On the slider's one-second grid from `from`, so End reaches it exactly.
  const max = from + Math.max(1, Math.ceil((Date.now() - from) / 1000)) * 1000;
  const value = at ?? max;
  const text = at === null ? 'now (live)' : new Date(at).toISOString();
  return (
    <div class="slider">
      <label for="time-slider">NAT table as of</label>
      <input
        id="time-slider"
        type="range"
        min={from}
        max={max}
        step={1000}
        value={value}
        aria-valuetext={text}
        onChange={(e) => {
          const v = Number((e.target as HTMLInputElement).value);
          onChange(v >= max ? null : v);
        }}
      />
      <output for="time-slider" id="slider-time">
        {text}
      </output>
      <button type="button" onClick={() => onChange(null)} disabled={at === null}>
        Live
      </button>
    </div>
  );
}

export function Gateway({ namespace, name }: { namespace: string; name: string }) {
  const [at, setAt] = useState<number | null>(null);
  const tick = useTick(at === null);
  const base = `${collection(namespace, 'natgateways')}/${encodeURIComponent(name)}`;
  const gw = useGet<NATGateway>(base, tick);
  const table = useGet<NATTable>(
    at === null ? `${base}/nattable` : `${base}/nattable?at=${new Date(at).toISOString()}`,
    tick,
  );
  const nics = useGet<{ items: NetworkInterface[] }>(
    collection(namespace, 'networkinterfaces'),
    tick,
  );
  const uid = gw.data?.metadata.uid;
  const objectEvents = useGet<EventList>(eventsOf(`natgateway:${namespace}/${name}`), tick);
  const allocationEvents = useGet<EventList>(uid ? eventsOf(`allocation:${uid}`) : null, tick);
  const timeline = useMemo(
    () => mergeEvents([objectEvents.data?.items ?? [], allocationEvents.data?.items ?? []]),
    [objectEvents.data, allocationEvents.data],
  );
  const g = gw.data;
  if (!g) {
    return (
      <section>
        <h1>
          NAT gateway {namespace}/{name}
        </h1>
        <Notice error={gw.error}>{gw.loading ? 'loading…' : ''}</Notice>
      </section>
    );
  }
  const allocated = g.status?.conditions?.find((c) => c.type === 'Allocated');
  const waiting = waitingNics(g, nics.data?.items ?? []);
  const waitingCount = Number((g.status as { waitingNICs?: number } | undefined)?.waitingNICs ?? 0);
  const busy = busiestSlots(g, nics.data?.items ?? []);
  const created = Date.parse(g.metadata.creationTimestamp ?? '') || Date.now() - 3600_000;
  return (
    <section aria-labelledby="gw-title">
      <h1 id="gw-title">
        NAT gateway {g.metadata.namespace}/{g.metadata.name}
      </h1>
      <dl class="facts">
        <dt>Network</dt>
        <dd>{g.spec.networkRef.name}</dd>
        <dt>Family, ports per NIC</dt>
        <dd>
          {g.spec.ipFamily},{' '}
          {g.spec.dynamicPortAllocation?.enabled === true
            ? `${g.spec.dynamicPortAllocation.minPortsPerNetworkInterface}–${g.spec.dynamicPortAllocation.maxPortsPerNetworkInterface} (dynamic)`
            : g.spec.portsPerNetworkInterface}
        </dd>
        <dt>Public IPs</dt>
        <dd>{(g.status?.ips ?? []).map((i) => ipLabel(i)).join(', ') || '—'}</dd>
        <dt>Slots used / total</dt>
        <dd>
          {g.status?.usedSlots ?? 0} / {g.status?.totalSlots ?? 0} ({g.status?.requestedNICs ?? 0}{' '}
          NICs asked)
        </dd>
        <dt>Port usage</dt>
        <dd id="port-usage">
          {g.status?.portUsage
            ? `${g.status.portUsage.nearExhaustion} NICs near exhaustion (peak >= 80%), ${g.status.portUsage.exhausted} exhausted`
            : 'not reported yet'}
          {g.status?.minExtraPublicIPsNeeded
            ? `; ${g.status.minExtraPublicIPsNeeded} more public IPs would serve every waiting NIC`
            : ''}
        </dd>
        <dt>Conditions</dt>
        <dd>
          <Conditions conditions={g.status?.conditions} />
        </dd>
      </dl>
      {allocated?.status === 'False' || waitingCount > 0 ? (
        <div class="warning" role="note" id="exhaustion">
          <h2>Waiting NICs: {waitingCount}</h2>
          <p>
            <strong>{allocated?.reason}</strong>: {allocated?.message}
          </p>
          {waiting.length > 0 ? (
            <ul>
              {waiting.map((n) => (
                <li key={n.metadata.name}>
                  {n.metadata.name} ({n.spec.ips.join(', ')})
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {busy.length > 0 ? (
        <>
          <h2>Busiest slots</h2>
          <table id="busiest-slots">
            <thead>
              <tr>
                <th scope="col">NIC</th>
                <th scope="col">Slot</th>
                <th scope="col">In use</th>
                <th scope="col">Peak</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((r) => (
                <tr key={`${r.nic}/${r.slot}`} class={r.exhausted ? 'exhausted' : undefined}>
                  <td>{r.nic}</td>
                  <td>{r.slot}</td>
                  <td>
                    {r.inUse}
                    {r.exhausted ? ' (exhausted)' : ''}
                  </td>
                  <td>{r.peak}</td>
                  <td>{r.size}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Slot map</h2>
      <TimeSlider from={created} at={at} onChange={setAt} />
      <Notice error={table.error} />
      {table.data ? (
        <div id="slot-map" data-at={(table.data.metadata as { at?: string }).at ?? 'live'}>
          <SlotMap
            table={table.data}
            portsPerNic={
              g.spec.dynamicPortAllocation?.enabled === true
                ? g.spec.dynamicPortAllocation.minPortsPerNetworkInterface
                : g.spec.portsPerNetworkInterface
            }
          />
          <SectionTable table={table.data} />
        </div>
      ) : null}
      <h2>History</h2>
      <p>
        Streams:{' '}
        <a href={href(['events'], { stream: `natgateway:${namespace}/${name}` })}>natgateway</a>
        {uid ? (
          <>
            {', '}
            <a href={href(['events'], { stream: `allocation:${uid}` })}>allocation</a>
          </>
        ) : null}
      </p>
      <Notice error={objectEvents.error ?? allocationEvents.error} />
      <Timeline events={timeline} onTime={(t) => setAt(Math.max(created, Date.parse(t)))} />
    </section>
  );
}
