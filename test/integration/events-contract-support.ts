// The event contract of docs/asyncapi.yaml, loaded for tests: which event types
// it documents (subject, CloudEvents type, payload validator), and which types
// the code emits (from the code's own type lists and stream id helpers).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Parser } from '@asyncapi/parser';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  cloudEventType,
  eventSubject,
  NETWORK_INTERFACE_ADDRESS_CLAIMED,
  NETWORK_INTERFACE_ADDRESS_RELEASED,
  NETWORK_VNI_CLAIMED,
  NETWORK_VNI_RELEASED,
  networkAddressStreamId,
  vniStreamId,
  RESOURCE_ACTIONS,
  RESOURCE_KINDS,
  resourceEventType,
  resourceStreamId,
  streamCategory,
} from '@natgw/contracts';
import { ALLOCATION_EVENT_TYPES, IP_POOL_EVENT_TYPES, QUOTA_EVENT_TYPES } from '@natgw/domain';
import { DEAD_LETTER_EVENT_TYPE, deadLetterStreamId } from '@natgw/messaging';
import { quotaStreamId } from '@natgw/projections';
import { allocationStreamId } from '../../apps/allocator/src/allocation/reconcile-network';
import { poolStreamId } from '../../apps/allocator/src/pools/pool-book';
import {
  INBOUND_EVENT_TYPES,
  INBOUND_STREAM_ID,
} from '../../apps/api-gateway/src/inbound/inbound-contract';
import { DATAPLANE_EVENT_TYPES } from '../../apps/dataplane-executor/src/reconciler/dataplane-events';
import { dataplaneStreamId } from '../../apps/dataplane-executor/src/reconciler/dataplane-reconciler';

export const ASYNCAPI_PATH = path.resolve(__dirname, '..', '..', 'docs', 'asyncapi.yaml');

/** The prefix the document's addresses use (NATS_SUBJECT_PREFIX's default). */
export const DOCUMENTED_PREFIX = 'natgw';

/** One event type as docs/asyncapi.yaml documents it. */
export interface DocumentedEvent {
  type: string;
  address: string;
  cloudEventType: string;
  validate: ValidateFunction;
}

/** The parsed contract. */
export interface EventContract {
  /** Parser diagnostics of severity error (0). */
  errors: string[];
  /** Event messages by natgw type (messages with a `natgwtype` const). */
  events: Map<string, DocumentedEvent>;
  /** Every channel address, inbound ones included. */
  addresses: string[];
}

type JsonSchema = Record<string, unknown>;

/** Finds the `properties.<name>.const` in a payload schema (also inside allOf). */
function constOf(schema: JsonSchema, name: string): string | undefined {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  const direct = props?.[name]?.const;
  if (typeof direct === 'string') return direct;
  for (const part of (schema.allOf as JsonSchema[] | undefined) ?? []) {
    const found = constOf(part, name);
    if (found) return found;
  }
  return undefined;
}

/** Parses docs/asyncapi.yaml with @asyncapi/parser and compiles one ajv validator per event type. */
export async function loadEventContract(): Promise<EventContract> {
  const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_PATH, 'utf8'));
  const errors = diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
  const events = new Map<string, DocumentedEvent>();
  const addresses: string[] = [];
  if (!document) return { errors, events, addresses };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const channel of document.channels().all()) {
    const address = channel.address();
    if (address) addresses.push(address);
    for (const message of channel.messages().all()) {
      const payload = message.payload()?.json() as JsonSchema | undefined;
      const type = payload && constOf(payload, 'natgwtype');
      if (!payload || !type) continue;
      events.set(type, {
        type,
        address: address ?? '',
        cloudEventType: constOf(payload, 'type') ?? '',
        validate: ajv.compile(payload),
      });
    }
  }
  return { errors, events, addresses };
}

/**
 * A validator for the payload of a message of docs/asyncapi.yaml that is not a log event (no
 * natgwtype), e.g. TranslationLog; undefined when the document has no such message.
 */
export async function loadMessageValidator(
  name: string,
): Promise<{ address: string; validate: ValidateFunction } | undefined> {
  const { document } = await new Parser().parse(readFileSync(ASYNCAPI_PATH, 'utf8'));
  if (!document) return undefined;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const channel of document.channels().all()) {
    for (const message of channel.messages().all()) {
      if (message.name() !== name) continue;
      const payload = message.payload()?.json() as JsonSchema | undefined;
      if (payload) return { address: channel.address() ?? '', validate: ajv.compile(payload) };
    }
  }
  return undefined;
}

/** An event type the code emits, with its stream category. */
export interface EmittedType {
  type: string;
  category: string;
  /** Where the list comes from, for failure messages. */
  from: string;
}

/** Every event type the code can emit, from its exported type lists and stream id helpers. */
export function emittedEventTypes(): EmittedType[] {
  const out: EmittedType[] = [];
  for (const info of RESOURCE_KINDS) {
    const category = streamCategory(resourceStreamId(info.kind, 'ns', 'name'));
    for (const action of RESOURCE_ACTIONS) {
      out.push({
        type: resourceEventType(info.kind, action),
        category,
        from: 'RESOURCE_KINDS × RESOURCE_ACTIONS',
      });
    }
  }
  const lists: Array<[readonly string[], string, string]> = [
    [IP_POOL_EVENT_TYPES, poolStreamId('default'), 'IP_POOL_EVENT_TYPES'],
    [
      ALLOCATION_EVENT_TYPES,
      allocationStreamId('00000000-0000-4000-8000-000000000000'),
      'ALLOCATION_EVENT_TYPES',
    ],
    [DATAPLANE_EVENT_TYPES, dataplaneStreamId('node-1'), 'DATAPLANE_EVENT_TYPES'],
    [[DEAD_LETTER_EVENT_TYPE], deadLetterStreamId('allocator'), 'DEAD_LETTER_EVENT_TYPE'],
    [INBOUND_EVENT_TYPES, INBOUND_STREAM_ID, 'INBOUND_EVENT_TYPES'],
    [QUOTA_EVENT_TYPES, quotaStreamId('ns', 'name'), 'QUOTA_EVENT_TYPES'],
    [[NETWORK_VNI_CLAIMED, NETWORK_VNI_RELEASED], vniStreamId(1), 'network-claims (VNIs)'],
    [
      [NETWORK_INTERFACE_ADDRESS_CLAIMED, NETWORK_INTERFACE_ADDRESS_RELEASED],
      networkAddressStreamId('ns', 'net', '10.0.0.1'),
      'network-claims (addresses)',
    ],
  ];
  for (const [types, stream, from] of lists) {
    for (const type of types) out.push({ type, category: streamCategory(stream), from });
  }
  return out;
}

/** The subject and CloudEvents type the code uses for an emitted type (documented prefix). */
export function expectedWire(t: EmittedType): { address: string; cloudEventType: string } {
  return {
    address: eventSubject(DOCUMENTED_PREFIX, `${t.category}:x`, t.type),
    cloudEventType: cloudEventType(t.category, t.type),
  };
}

/**
 * What is wrong with one published message against the contract: undocumented
 * type, a subject other than the documented one (prefix swapped), a Nats-Msg-Id
 * other than the event id, or a payload that does not validate.
 */
export function contractProblems(
  contract: EventContract,
  message: { subject: string; msgId?: string; cloudEvent?: Record<string, unknown> },
  prefix: string,
): string[] {
  const ce = message.cloudEvent;
  if (!ce) return [`${message.subject}: the body is not a JSON object`];
  const type = String(ce.natgwtype);
  const documented = contract.events.get(type);
  if (!documented)
    return [`${message.subject}: event type ${type} is not documented in docs/asyncapi.yaml`];
  const problems: string[] = [];
  const id = String(ce.id);
  const expected = `${prefix}${documented.address.slice(DOCUMENTED_PREFIX.length)}`;
  if (message.subject !== expected)
    problems.push(`${type}: published on ${message.subject}, documented ${expected}`);
  if (message.msgId !== id)
    problems.push(`${type}: Nats-Msg-Id ${message.msgId} is not the event id ${id}`);
  if (!documented.validate(ce)) {
    problems.push(
      `${type} ${id}: ${(documented.validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
        .join('; ')}`,
    );
  }
  return problems;
}
