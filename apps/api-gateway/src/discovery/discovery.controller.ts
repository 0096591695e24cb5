import { All, Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedGuard } from '../auth/auth.guard';
import { apiErrors } from '../http/api-error';
import { negotiate } from '../http/media-negotiation';
import { send } from '../resources/api-response';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery-documents';
import { servedGroupVersion } from './served-resources';

const notServed = (req: Request) => apiErrors.noSuchPath(`${req.method} ${req.path}`);

/**
 * Kubernetes discovery, which kubectl reads before anything else: `/api`, `/apis`,
 * `/apis/<group>` and `/apis/<group>/<version>`. Every authenticated user may read
 * it. Answers are plain JSON: a client asking for aggregated discovery
 * (`as=APIGroupDiscoveryList`) falls back to these documents, as kubectl does.
 */
@ApiExcludeController()
@UseGuards(AuthenticatedGuard)
@Controller()
export class DiscoveryController {
  @Get('api')
  legacy(@Req() req: Request, @Res() res: Response): void {
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiVersions() });
  }

  @Get('apis')
  groups(@Req() req: Request, @Res() res: Response): void {
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiGroupList() });
  }

  @Get('apis/:group')
  group(@Param('group') group: string, @Req() req: Request, @Res() res: Response): void {
    const body = apiGroup(group);
    if (!body) throw notServed(req);
    negotiate(req.headers.accept);
    send(res, { code: 200, body });
  }

  @Get('apis/:group/:version')
  resources(
    @Param('group') group: string,
    @Param('version') version: string,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    const gv = servedGroupVersion(group, version);
    if (!gv) throw notServed(req);
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiResourceList(gv) });
  }

  @All(['api', 'apis', 'apis/:group', 'apis/:group/:version'])
  otherMethods(@Req() req: Request): never {
    throw apiErrors.methodNotAllowed(`${req.method} is not allowed on discovery; use GET`);
  }
}
