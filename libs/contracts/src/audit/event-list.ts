import type { EventMetadata } from '../events/event';

/** One log event as `GET /apis/natgw.ironcore.dev/v1alpha1/events` shows it. */
export interface EventItem {
  id: string;
  stream: string;
  /** 1-based position in its stream. */
  version: number;
  type: string;
  /** When the log recorded it (RFC 3339). */
  time: string;
  /** Global log position and committing transaction (decimal strings). */
  position: string;
  transaction: string;
  metadata: EventMetadata;
  data: unknown;
}

/** The answer of `GET events`: the events the token may read, and how many it may not. */
export interface EventList {
  apiVersion: string;
  kind: 'EventList';
  /** Events of streams outside the token's namespaces, left out of `items`. */
  omitted: number;
  items: EventItem[];
}
