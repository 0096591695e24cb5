import { Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { kindInfo } from '@natgw/contracts';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ApiRequest, ApiReply } from '../http/api-request';
import { NATGW_API_VERSION } from '@natgw/contracts';
import { AuthGuard } from '../auth/auth.guard';
import { QueryParams } from '../http/query-params';
import { assertPathNames } from '../resources/path-names';
import { send } from '../resources/api-response';
import { RESOURCES_PREFIX } from '../resources/resources.controller';
import { GetNatTable } from '../resources/use-cases/get-nat-table';
import { parseAt, parseNatLookupQuery } from './audit-query';
import { GetNatTableAt } from './nat-table-at';
import { NatLookup } from './nat-lookup';

/**
 * Time travel over the log: `natlookup` (who held a public IP and port at an
 * instant; it spans namespaces, so its token needs the "*" namespace grant)
 * and `nattable?at=` (a gateway's NAT table then). Registered before
 * ResourcesController, whose generic subresource route also matches `nattable`:
 * without `at` this one answers exactly as that route does.
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@Controller()
export class AuditController {
  constructor(
    private readonly natLookup: NatLookup,
    private readonly natTableAt: GetNatTableAt,
    private readonly natTable: GetNatTable,
  ) {}

  @Get(`apis/${NATGW_API_VERSION}/natlookup`)
  async lookup(@Req() req: ApiRequest, @Res() res: ApiReply): Promise<void> {
    const query = parseNatLookupQuery(new QueryParams(req.query));
    send(res, { code: 200, body: await this.natLookup.execute(query) });
  }

  @Get(`${RESOURCES_PREFIX}/namespaces/:namespace/natgateways/:name/nattable`)
  async table(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    assertPathNames(kindInfo('NATGateway'), namespace, name);
    const query = new QueryParams(req.query);
    const body =
      query.string('at') === undefined
        ? await this.natTable.execute(namespace, name)
        : await this.natTableAt.execute(namespace, name, parseAt(query));
    send(res, { code: 200, body });
  }
}
