import { useState } from 'preact/hooks';
import type { NATTable } from '@natgw/contracts';
import { nicColour, SlotBar, SlotCell, slotBars } from '../slot-layout';
import { ListTable } from './list-table';

function describe(cell: SlotCell, ip: string): string {
  const where = `${ip} ports ${cell.port}-${cell.endPort}`;
  if (cell.holders.length === 0) return `${where}: free`;
  return `${where}: ${cell.holders
    .map((h) => `NIC ${h.targetRef.name} (${h.ip}) ports ${h.port}-${h.endPort}`)
    .join('; ')}`;
}

/**
 * One public IP's bar. Hover shows a cell's NIC, private IP and ports; with the
 * keyboard the bar is one tab stop and the arrow keys (Home, End) move between the
 * held slots, announced through the live region below it.
 */
function Bar({ bar }: { bar: SlotBar }) {
  const held = bar.cells.filter((c) => c.holders.length > 0);
  const [shown, setShown] = useState<SlotCell | undefined>(undefined);
  const [cursor, setCursor] = useState(0);
  const onKey = (e: KeyboardEvent) => {
    if (held.length === 0) return;
    const next =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? Math.min(cursor + 1, held.length - 1)
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? Math.max(cursor - 1, 0)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? held.length - 1
              : undefined;
    if (next === undefined) return;
    e.preventDefault();
    setCursor(next);
    setShown(held[next]);
  };
  return (
    <div class="slot-bar-wrap">
      <h4 id={`bar-${bar.ip}`}>
        {bar.ip}{' '}
        <span class="muted">
          — {bar.usedSlots} of {bar.totalSlots} slots used
        </span>
      </h4>
      <div
        class="slot-bar"
        role="group"
        tabIndex={0}
        aria-labelledby={`bar-${bar.ip}`}
        aria-describedby={`tip-${bar.ip}`}
        data-ip={bar.ip}
        style={{ '--columns': String(Math.min(bar.cells.length, 128)) }}
        onKeyDown={onKey}
        onFocus={() => held.length > 0 && setShown(held[cursor])}
        onMouseLeave={() => setShown(undefined)}
      >
        {bar.cells.map((cell) => {
          const holder = cell.holders[0];
          return (
            <span
              key={cell.index}
              class={`slot${holder ? ' held' : ''}${shown === cell ? ' current' : ''}`}
              data-port={cell.port}
              data-end-port={cell.endPort}
              data-nic={holder?.targetRef.name}
              style={holder ? { background: nicColour(holder.targetRef.uid) } : undefined}
              title={describe(cell, bar.ip)}
              onMouseEnter={() => setShown(cell)}
            />
          );
        })}
      </div>
      <p id={`tip-${bar.ip}`} class="slot-tip" role="status" aria-live="polite">
        {shown ? describe(shown, bar.ip) : 'Hover a slot, or focus the bar and use the arrow keys.'}
      </p>
    </div>
  );
}

/** The slot map of a NAT table: one bar per public IP, each slot coloured by its NIC. */
export function SlotMap({
  table,
  portsPerNic,
}: {
  table: Pick<NATTable, 'ips'>;
  portsPerNic: number;
}) {
  const bars = slotBars(table, portsPerNic);
  if (bars.length === 0) return <p class="muted">No public IP assigned.</p>;
  return (
    <div class="slot-map">
      {bars.map((bar) => (
        <Bar key={bar.ip} bar={bar} />
      ))}
    </div>
  );
}

/** The sections of a NAT table as a table: the same data as the map, for screen readers and copying. */
export function SectionTable({ table }: { table: Pick<NATTable, 'ips'> }) {
  const rows = table.ips.flatMap((entry) =>
    entry.sections.map((s) => ({ publicIp: entry.ip, ...s })),
  );
  if (rows.length === 0) return null;
  return (
    <ListTable
      caption="NAT sections"
      columns={['Public IP', 'Ports', 'NetworkInterface', 'Private IP', 'Node']}
      class="sections"
      visibleCaption
    >
      {rows.map((r) => (
        <tr key={`${r.publicIp}:${r.port}`}>
          <td>{r.publicIp}</td>
          <td>
            {r.port}-{r.endPort}
            {r.retiringUntil !== undefined ? ` (retiring until ${r.retiringUntil})` : ''}
          </td>
          <td>
            <span
              class="swatch"
              style={{ background: nicColour(r.targetRef.uid) }}
              aria-hidden="true"
            />
            {r.targetRef.name}
          </td>
          <td>{r.ip}</td>
          <td>{r.targetRef.nodeName ?? ''}</td>
        </tr>
      ))}
    </ListTable>
  );
}
