import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ApiRequest, ApiReply } from '../http/api-request';
import { AuthenticatedGuard, AuthGuard, principalOf } from '../auth/auth.guard';
import { forbidden } from '../auth/forbidden';
import { QueryParams } from '../http/query-params';
import { ADMIN_API_VERSION } from '../pools/ip-pool-object';
import { send } from '../resources/api-response';
import { parseEventQuery } from './event-query';
import { ListEvents } from './list-events';
import { ListNodes } from './list-nodes';

/**
 * The log for people (the console's timelines and node pages): `events` reads
 * streams, single events and correlations under the token's namespace grants;
 * `nodes` lists the nodes with a dataplane-executor ("*" grant).
 */
@ApiExcludeController()
@Controller(`apis/${ADMIN_API_VERSION}`)
export class HistoryController {
  constructor(
    private readonly events: ListEvents,
    private readonly nodes: ListNodes,
  ) {}

  @Get('events')
  @UseGuards(AuthenticatedGuard)
  async listEvents(@Req() req: ApiRequest, @Res() res: ApiReply): Promise<void> {
    const principal = principalOf(req);
    if (!principal.verbs.has('read')) {
      throw forbidden(req, principal.user, 'its token grants write only, not read');
    }
    const query = parseEventQuery(new QueryParams(req.query));
    send(res, { code: 200, body: await this.events.execute(req, principal, query) });
  }

  @Get('nodes')
  @UseGuards(AuthGuard)
  async listNodes(@Res() res: ApiReply): Promise<void> {
    send(res, { code: 200, body: await this.nodes.execute() });
  }
}
