import type { ServiceRole } from '@natgw/event-store';

const RESOURCE_TABLES = ['natgw_resources', 'natgw_resource_changes', 'natgw_resource_versions'];
/** Projection snapshots: `projections:snapshot` runs from the allocator's pod (docs/operations.md). */
const SNAPSHOT_TABLES = ['natgw_projection_snapshots', 'natgw_projection_snapshot_parts'];
/** The allocator's snapshots of its own streams (pools, allocations). */
const STREAM_SNAPSHOT_TABLES = ['natgw_stream_snapshots'];

/**
 * One PostgreSQL role per service, and the tables each writes besides the log's
 * (every role reads everything and appends to the log; none may UPDATE, DELETE or
 * TRUNCATE `natgw_events`): the api-gateway and the allocator run the `resources`
 * projection, the allocator and the executors keep consumer inboxes, the executors
 * the `nat-slots` projection. The migrator (whoever runs `npm run migrate`) owns
 * the schema and grants these after every migration. A new table a service writes
 * goes here, next to the migration that creates it.
 */
export const NATGW_SERVICE_ROLES: readonly ServiceRole[] = [
  { name: 'natgw_api_gateway', writes: RESOURCE_TABLES },
  {
    name: 'natgw_allocator',
    writes: [...RESOURCE_TABLES, 'natgw_inbox', ...SNAPSHOT_TABLES, ...STREAM_SNAPSHOT_TABLES],
  },
  {
    name: 'natgw_dataplane_executor',
    writes: ['natgw_nat_slots', 'natgw_allocation_versions', 'natgw_inbox'],
  },
];
