import { PROJECTION_ENTITIES } from '@natgw/projections';
import { NATGW_MIGRATIONS } from './migrations';
import { NATGW_SERVICE_ROLES } from './service-roles';

export * from './migrations';
export * from './service-roles';

/**
 * natgw's whole database schema, gathered above the libraries that use it (event
 * store, messaging, read models), so none of them reaches sideways into another's
 * tables: every service passes this to EventStoreModule / openDatabase, so any of
 * them can migrate the database (MIGRATE_ON_START) and grant the service roles.
 */
export const NATGW_SCHEMA = {
  entities: PROJECTION_ENTITIES,
  migrations: NATGW_MIGRATIONS,
  roles: NATGW_SERVICE_ROLES,
};
