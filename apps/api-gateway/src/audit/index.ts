import { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AllocationHistoryReader } from '@natgw/projections';
import { AuditController } from './audit.controller';
import { GetNatTableAt } from './nat-table-at';
import { NatLookup } from './nat-lookup';

/** The audit endpoints; list them before ResourcesController (see AuditController). */
export const AUDIT_CONTROLLERS = [AuditController];

/** What the audit endpoints need besides the api-gateway's own providers. */
export const AUDIT_PROVIDERS: Provider[] = [
  {
    provide: AllocationHistoryReader,
    inject: [DataSource],
    useFactory: (ds: DataSource) => new AllocationHistoryReader(ds),
  },
  NatLookup,
  GetNatTableAt,
];
