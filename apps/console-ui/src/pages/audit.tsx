import { useState } from 'preact/hooks';
import { ADMIN, errorText, get } from '../api';
import { Notice } from '../components/notice';
import type { EventItem, EventList, NatLookupResult } from '@natgw/contracts';
import { Timeline } from '../components/timeline';
import { href } from '../route';
import { eventsOf } from './events';

const SLOT_EVENTS = ['NATSlotAssigned', 'NATSlotReleased', 'AllocationClosed'];

/**
 * The proof of an answer: the holder's slot events in its gateway's allocation
 * stream (the assignment it held at that instant, and any release after it).
 */
function proofOf(lookup: NatLookupResult, events: EventItem[]): EventItem[] {
  const nic = lookup.holder?.networkInterface.uid;
  return events.filter(
    (e) => e.type === 'AllocationClosed' || (e.data as { nicUid?: string }).nicUid === nic,
  );
}

/** Who held public ip:port at an instant (natlookup), with the events that prove it. */
export function Audit() {
  const [form, setForm] = useState({ ip: '', port: '', at: new Date().toISOString() });
  const [answer, setAnswer] = useState<
    { lookup: NatLookupResult; proof: EventItem[] } | undefined
  >();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof form) => ({
    id: `audit-${name}`,
    name,
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setAnswer(undefined);
    try {
      const lookup = await get<NatLookupResult>(
        `${ADMIN}/natlookup?${new URLSearchParams({ ip: form.ip.trim(), port: form.port.trim(), at: form.at.trim() })}`,
      );
      let proof: EventItem[] = [];
      if (lookup.holder) {
        const list = await get<EventList>(
          eventsOf(`allocation:${lookup.holder.natGateway.uid}`, SLOT_EVENTS),
        );
        proof = proofOf(lookup, list.items);
      }
      setAnswer({ lookup, proof });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const holder = answer?.lookup.holder;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit lookup</h1>
      <p class="muted">
        Who held a public IP and source port at an instant, answered exactly from the allocation
        events. Needs a token with the <code>"*"</code> namespace grant.
      </p>
      <form onSubmit={submit} class="grid" aria-describedby="audit-help">
        <label for="audit-ip">Public IP</label>
        <input {...field('ip')} required placeholder="203.0.113.7" inputMode="text" />
        <label for="audit-port">Port</label>
        <input
          {...field('port')}
          required
          placeholder="40123"
          inputMode="numeric"
          pattern="[0-9]{1,5}"
        />
        <label for="audit-at">Time (RFC 3339)</label>
        <input {...field('at')} required placeholder="2026-11-26T10:42:00Z" />
        <span />
        <button type="submit" disabled={busy}>
          Look up
        </button>
      </form>
      <p id="audit-help" class="muted">
        The time needs a zone, e.g. <code>2026-11-26T10:42:00Z</code> or <code>…+01:00</code>.
      </p>
      <Notice error={error} />
      {answer ? (
        <div id="audit-answer" data-found={String(answer.lookup.found)}>
          <p role="status" class="answer">
            {answer.lookup.message}
          </p>
          {holder ? (
            <>
              <dl class="facts">
                <dt>NetworkInterface</dt>
                <dd id="audit-nic">
                  {holder.networkInterface.namespace}/{holder.networkInterface.name}
                </dd>
                <dt>Private IP</dt>
                <dd>{holder.networkInterface.privateIP}</dd>
                <dt>NAT gateway</dt>
                <dd>
                  {holder.natGateway.name ? (
                    <a
                      href={href([
                        'gateways',
                        holder.natGateway.namespace ?? '',
                        holder.natGateway.name,
                      ])}
                    >
                      {holder.natGateway.namespace}/{holder.natGateway.name}
                    </a>
                  ) : (
                    holder.natGateway.uid
                  )}
                </dd>
                <dt>Slot</dt>
                <dd>
                  {holder.slot.ip} ports {holder.slot.port}-{holder.slot.endPort}, since{' '}
                  {holder.assignedAt}
                </dd>
              </dl>
              <h2>The events that prove it</h2>
              <Timeline
                events={answer.proof}
                highlight={(e) => e.type === 'NATSlotAssigned' && e.time === holder.assignedAt}
              />
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
