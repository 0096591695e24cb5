import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EventMetadata, failureStatus, fieldError, StatusCause } from '@natgw/contracts';
import {
  decidePool,
  foldPool,
  initialIpPoolState,
  IpPoolEvent,
  IpPrefix,
  prefixesOverlap,
} from '@natgw/domain';
import { ConcurrencyError, PostgresEventStore } from '@natgw/event-store';
import { advisoryLockKey } from '@natgw/messaging';
import { ApiError } from '../http/api-error';
import { IpPoolBook, ipPoolStreamId } from './ip-pool-book';
import { ADMIN_GROUP, IpPoolObject, ipPoolObject } from './ip-pool-object';

/** What the caller wants a pool to become. */
export interface IpPoolChange {
  name: string;
  /** create: the pool must not exist; update/delete: it must. */
  mode: 'create' | 'update' | 'delete';
  prefixes: IpPrefix[];
  resourceVersion?: string;
  metadata: EventMetadata;
}

/**
 * Every change of any pool's prefixes takes this transaction-scoped advisory lock
 * first: the overlap check reads every pool, and without the lock two creates of
 * overlapping prefixes in different pools (different streams, so no version
 * conflict) could both pass it. Held for one short transaction; released at commit.
 */
const POOL_PREFIXES_LOCK = advisoryLockKey('natgw:ippool-prefixes');

const about = (name: string) => ({ name, group: ADMIN_GROUP, kind: 'ippools' });

function fail(
  code: number,
  reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid',
  name: string,
  message: string,
  causes?: StatusCause[],
) {
  return new ApiError(
    failureStatus(code, reason, message, { ...about(name), ...(causes ? { causes } : {}) }),
  );
}

/**
 * Creates, changes or deletes an IP pool as events on its stream: prefixes added
 * (PublicPrefixAdded) and removed (PublicPrefixRemoved). A prefix whose addresses
 * are in use cannot be removed; prefixes may not overlap any pool's. The stream
 * version guards against a claim slipping in meanwhile; the overlap check and the
 * append run in one transaction under POOL_PREFIXES_LOCK, so concurrent changes of
 * different pools are checked one after the other.
 */
@Injectable()
export class SetIpPoolPrefixes {
  constructor(
    private readonly book: IpPoolBook,
    private readonly store: PostgresEventStore,
    private readonly dataSource: DataSource,
  ) {}

  async execute(change: IpPoolChange): Promise<IpPoolObject | undefined> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [POOL_PREFIXES_LOCK]);
      return this.executeLocked(change, manager);
    });
  }

  private async executeLocked(
    change: IpPoolChange,
    manager: EntityManager,
  ): Promise<IpPoolObject | undefined> {
    const pools = await this.book.all(manager);
    const current = pools.find((p) => p.name === change.name);
    const exists = current !== undefined && current.state.prefixes.length > 0;
    const label = `ippools.${ADMIN_GROUP} "${change.name}"`;
    if (change.mode === 'create' && exists)
      throw fail(409, 'AlreadyExists', change.name, `${label} already exists`);
    if (change.mode !== 'create' && !exists)
      throw fail(404, 'NotFound', change.name, `${label} not found`);
    if (
      change.resourceVersion !== undefined &&
      change.resourceVersion !== String(current?.version ?? 0)
    ) {
      throw fail(
        409,
        'Conflict',
        change.name,
        `Operation cannot be fulfilled on ${label}: the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const causes: StatusCause[] = [];
    change.prefixes.forEach((p, i) => {
      for (const other of pools) {
        if (other.name === change.name) continue;
        const clash = other.state.prefixes.find((q) => prefixesOverlap(p, q));
        if (clash)
          causes.push(
            fieldError.duplicate(
              `spec.prefixes[${i}]`,
              p.cidr,
              `overlaps ${clash.cidr} of IPPool "${other.name}"`,
            ),
          );
      }
    });
    if (causes.length > 0) {
      throw fail(
        422,
        'Invalid',
        change.name,
        `IPPool.${ADMIN_GROUP} "${change.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
        causes,
      );
    }
    let state = current?.state ?? initialIpPoolState();
    const events: IpPoolEvent[] = [];
    const wanted = new Set(change.prefixes.map((p) => p.cidr));
    try {
      for (const p of state.prefixes.filter((q) => !wanted.has(q.cidr))) {
        const e = decidePool({ type: 'RemovePrefix', prefix: p.cidr }, state);
        state = foldPool(state, e);
        events.push(...e);
      }
    } catch (err) {
      // PrefixInUseError: the message names the prefix and how many addresses are claimed.
      throw fail(
        409,
        'Conflict',
        change.name,
        `Operation cannot be fulfilled on ${label}: ${(err as Error).message}`,
      );
    }
    for (const p of change.prefixes) {
      const e = decidePool({ type: 'AddPrefix', prefix: p.cidr }, state);
      state = foldPool(state, e);
      events.push(...e);
    }
    let version = current?.version ?? 0;
    if (events.length > 0) {
      try {
        const result = await this.store.append(
          ipPoolStreamId(change.name),
          events.map((e) => ({ ...e, metadata: change.metadata })),
          { expectedVersion: current ? current.version : 'no-stream', manager },
        );
        version = result.nextExpectedVersion;
      } catch (err) {
        if (err instanceof ConcurrencyError) {
          throw fail(
            409,
            'Conflict',
            change.name,
            `Operation cannot be fulfilled on ${label}: the pool changed meanwhile (an address was claimed or released); retry`,
          );
        }
        throw err;
      }
    }
    return change.mode === 'delete'
      ? undefined
      : ipPoolObject(change.name, version, state, current?.createdAt);
  }
}
