import { CLOUD_EVENT_TYPE_PREFIX } from './cloud-event';

/**
 * Translation logs (issue 17.5): one CloudEvent per NAT translation of a NIC whose gateway has
 * spec.logging enabled, published by the node's dataplane-executor on
 * `<prefix>.translationlogs.<gateway uid>` (translationLogSubject). They are not events of the
 * log: no stream, version or position; rate-limited per gateway, so a missing record proves
 * nothing (as in GCP Cloud NAT). docs/events.md, docs/asyncapi.yaml.
 */
export const TRANSLATION_LOG_CLOUD_EVENT_TYPE = `${CLOUD_EVENT_TYPE_PREFIX}.translationlog.translation.v1`;

/** Why a record exists: a translation made, or one that failed (GCP's ERRORS_ONLY records). */
export type TranslationLogKind = 'Translation' | 'Error';

/**
 * What happened: conntrack created the connection (`Opened`) or removed it (`Closed`); or (an
 * Error record) the NIC's slot ran out of ports toward one destination (`Exhausted`).
 */
export type TranslationLogEvent = 'Opened' | 'Closed' | 'Exhausted';

/** What every record holds. */
interface TranslationLogCommon {
  /** The node whose dataplane translated the connection. */
  node: string;
  gateway: { uid: string; namespace?: string; name?: string };
  networkInterface: { uid: string; name?: string };
  /** The VNI of the NIC's network, when it has one. */
  vni?: number;
  /** `tcp` or `udp` (like GCP, ICMP is not logged). */
  protocol: 'tcp' | 'udp';
  privateIP: string;
  publicIP: string;
  destinationIP: string;
  destinationPort: number;
  /** When conntrack reported it (RFC 3339, microseconds). */
  time: string;
}

/** A translation made: one connection, its private and public ports. */
export interface TranslationMadeRecord extends TranslationLogCommon {
  kind: 'Translation';
  event: 'Opened' | 'Closed';
  privatePort: number;
  publicPort: number;
}

/**
 * A translation that failed (GCP's ERRORS_ONLY): the start of an exhaustion episode of a NIC's
 * slot, found by the node's port-usage count — every port of the slot is in use toward this
 * destination, so the next connection to it is dropped (conntrack insert_failed). The failed
 * connection's own source port is not known: the record names the slot and how many ports it had.
 */
export interface TranslationErrorRecord extends TranslationLogCommon {
  kind: 'Error';
  event: 'Exhausted';
  /** The NIC's slot on publicIP, every port of which is in use toward the destination. */
  slot: { port: number; endPort: number };
  /** Ports in use toward the destination (= the slot's size when exhausted). */
  inUse: number;
}

/** One record of a translation log. */
export type TranslationLogRecord = TranslationMadeRecord | TranslationErrorRecord;

/** A translation record as CloudEvents 1.0 structured-mode JSON. */
export interface TranslationLogCloudEvent {
  specversion: '1.0';
  id: string;
  /** `/natgw/dataplane-executor/<node>`. */
  source: string;
  type: typeof TRANSLATION_LOG_CLOUD_EVENT_TYPE;
  /** `<gateway namespace>/<gateway name>` (the gateway uid when the name is unknown). */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: TranslationLogRecord;
}

/** Wraps a record as its CloudEvent. */
export function toTranslationLogCloudEvent(
  id: string,
  record: TranslationLogRecord,
): TranslationLogCloudEvent {
  const { gateway } = record;
  return {
    specversion: '1.0',
    id,
    source: `/natgw/dataplane-executor/${record.node}`,
    type: TRANSLATION_LOG_CLOUD_EVENT_TYPE,
    subject:
      gateway.namespace && gateway.name ? `${gateway.namespace}/${gateway.name}` : gateway.uid,
    time: record.time,
    datacontenttype: 'application/json',
    data: record,
  };
}
