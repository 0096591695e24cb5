import { Injectable } from '@nestjs/common';
import { ResourceKindInfo } from '@natgw/contracts';
import { ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors } from '../../http/api-error';

/** GET one object from the read model; 404 when there is none. */
@Injectable()
export class GetResource {
  constructor(private readonly reader: ResourceReader) {}

  async execute(info: ResourceKindInfo, namespace: string, name: string): Promise<StoredResource> {
    const stored = await this.reader.get({ kind: info.kind, namespace, name });
    if (!stored) throw apiErrors.notFound(info, name);
    return stored;
  }
}
