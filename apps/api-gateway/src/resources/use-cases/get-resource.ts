import { Injectable } from '@nestjs/common';
import { ResourceKindInfo, ResourceObject } from '@natgw/contracts';
import { ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors } from '../../http/api-error';
import { ReadCache } from '../../read-cache/read-cache';

/** GET one object from the read model; 404 when there is none. */
@Injectable()
export class GetResource {
  constructor(
    private readonly reader: ResourceReader,
    private readonly cache: ReadCache,
  ) {}

  /** The object with its bookkeeping (stream version...), from PostgreSQL: what a write starts from. */
  async execute(info: ResourceKindInfo, namespace: string, name: string): Promise<StoredResource> {
    const stored = await this.reader.get({ kind: info.kind, namespace, name });
    if (!stored) throw apiErrors.notFound(info, name);
    return stored;
  }

  /** The object as a client reads it (GET), from the read cache when it is on. Frozen. */
  async object(info: ResourceKindInfo, namespace: string, name: string): Promise<ResourceObject> {
    if (!this.cache.enabled) return (await this.execute(info, namespace, name)).object;
    const object = await this.cache.get(info.kind, namespace, name);
    if (!object) throw apiErrors.notFound(info, name);
    return object;
  }
}
