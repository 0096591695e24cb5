import { ListMeta, WatchEvent } from '@natgw/contracts';
import { Representation, META_GROUP } from '../http/media-negotiation';
import { QueryParams } from '../http/query-params';
import { apiErrors } from '../http/api-error';
import { TableColumn, TableSource } from './table-columns';

/** What a Table row carries besides its cells (`?includeObject=`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A list as the use cases return it (`<Kind>List`). */
export interface Listing {
  apiVersion: string;
  kind: string;
  metadata: Partial<ListMeta>;
  items: TableSource[];
}

function includeObjectOf(query: QueryParams): IncludeObject {
  const v = query.string('includeObject');
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw apiErrors.badRequest(
    `query parameter "includeObject" must be None, Metadata or Object, got ${JSON.stringify(v)}`,
  );
}

/**
 * Shapes what a read returns for the representation the client negotiated: the
 * object itself, its metadata only (PartialObjectMetadata), or a meta.k8s.io
 * Table of the kind's columns, which is what `kubectl get` prints. A watch in
 * Table form sends the column definitions with its first event only, as the
 * Kubernetes API server does; kubectl keeps them for the rows that follow.
 */
export class ReadView {
  private readonly includeObject: IncludeObject;
  private headersSent = false;

  constructor(
    private readonly representation: Representation,
    private readonly columns: readonly TableColumn[],
    query: QueryParams,
    private readonly now: () => Date,
  ) {
    this.includeObject =
      representation.as === 'Table' ? includeObjectOf(query) : ('Metadata' as const);
  }

  /** A single object (GET). */
  object(object: TableSource): unknown {
    switch (this.representation.as) {
      case 'Object':
        return object;
      case 'PartialObjectMetadata':
        return this.partial(object);
      case 'Table':
        return this.table([object], resourceVersionOf(object));
    }
  }

  /** A list (or one page of it). */
  list(listing: Listing): unknown {
    switch (this.representation.as) {
      case 'Object':
        return listing;
      case 'PartialObjectMetadata':
        return {
          kind: 'PartialObjectMetadataList',
          apiVersion: this.apiVersion(),
          metadata: listing.metadata,
          items: listing.items.map((i) => this.partial(i)),
        };
      case 'Table':
        return this.table(listing.items, listing.metadata);
    }
  }

  /** One watch event; ERROR events (a Status) pass unchanged. */
  event(event: WatchEvent): WatchEvent {
    if (this.representation.as === 'Object' || event.type === 'ERROR') return event;
    const object = event.object as TableSource;
    if (event.type === 'BOOKMARK') {
      const metadata = { resourceVersion: resourceVersionOf(object).resourceVersion };
      return {
        type: 'BOOKMARK',
        object:
          this.representation.as === 'Table'
            ? this.table([], metadata)
            : { kind: 'PartialObjectMetadata', apiVersion: this.apiVersion(), metadata },
      };
    }
    return { type: event.type, object: this.object(object) };
  }

  private apiVersion(): string {
    return `${META_GROUP}/${this.representation.as === 'Object' ? 'v1' : this.representation.version}`;
  }

  private partial(object: TableSource): object {
    return {
      kind: 'PartialObjectMetadata',
      apiVersion: this.apiVersion(),
      metadata: object.metadata,
    };
  }

  private table(items: TableSource[], metadata: Partial<ListMeta>): object {
    const now = this.now();
    const table: Record<string, unknown> = {
      kind: 'Table',
      apiVersion: this.apiVersion(),
      metadata,
    };
    if (!this.headersSent) {
      table.columnDefinitions = this.columns.map(
        ({ name, type, format, description, priority }) => ({
          name,
          type,
          format,
          description,
          priority,
        }),
      );
      this.headersSent = true;
    }
    table.rows = items.map((item) => {
      const row: Record<string, unknown> = { cells: this.columns.map((c) => c.cell(item, now)) };
      if (this.includeObject === 'Object') row.object = item;
      else if (this.includeObject === 'Metadata') row.object = this.partial(item);
      return row;
    });
    return table;
  }
}

function resourceVersionOf(object: TableSource): { resourceVersion: string } {
  const rv = (object.metadata as { resourceVersion?: unknown }).resourceVersion;
  return { resourceVersion: typeof rv === 'string' ? rv : '' };
}
