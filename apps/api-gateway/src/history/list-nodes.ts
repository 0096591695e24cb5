import { Injectable } from '@nestjs/common';
import { PostgresEventStore } from '@natgw/event-store';
import { ADMIN_API_VERSION } from '../pools/ip-pool-object';

/** A node as its dataplane-executor's stream `dataplane:<node>` shows it. */
export interface NodeItem {
  name: string;
  /** How many events its executor recorded. */
  events: number;
  /** The type of the newest one. */
  lastEvent: string;
}

/**
 * GET nodes: every node whose dataplane-executor wrote to the log, from the
 * streams `dataplane:<node>`. Their drift is `events?stream=dataplane:<node>&type=DriftDetected,DriftRepaired`.
 */
@Injectable()
export class ListNodes {
  constructor(private readonly store: PostgresEventStore) {}

  async execute(): Promise<{ apiVersion: string; kind: 'NodeList'; items: NodeItem[] }> {
    const prefix = 'dataplane:';
    const streams = await this.store.streamsWithPrefix(prefix);
    return {
      apiVersion: ADMIN_API_VERSION,
      kind: 'NodeList',
      items: streams.map((s) => ({
        name: s.streamId.slice(prefix.length),
        events: s.version,
        lastEvent: s.lastType,
      })),
    };
  }
}
