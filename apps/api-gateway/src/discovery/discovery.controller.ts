import { All, Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiReply, ApiRequest, pathOf } from '../http/api-request';
import { AuthenticatedGuard } from '../auth/auth.guard';
import { apiErrors } from '../http/api-error';
import { negotiate } from '../http/media-negotiation';
import { send } from '../resources/api-response';
import {
  aggregatedContentType,
  aggregatedDiscoveryAsked,
  apiGroupDiscoveryList,
} from './aggregated-discovery';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery-documents';
import { servedGroupVersion } from './served-resources';

const notServed = (req: ApiRequest) => apiErrors.noSuchPath(`${req.method} ${pathOf(req)}`);

/** Answers with aggregated discovery if the client prefers it; false when it did not. */
function sendAggregated(req: ApiRequest, res: ApiReply, legacy: boolean): boolean {
  const version = aggregatedDiscoveryAsked(req.headers.accept);
  if (!version) {
    res.header('Vary', 'Accept');
    return false;
  }
  // Node's response: Fastify would rewrite the content type's parameters (quoted, with a
  // charset), and clients match it as the apiserver writes it.
  res.hijack();
  res.raw
    .writeHead(200, { Vary: 'Accept', 'Content-Type': aggregatedContentType(version) })
    .end(JSON.stringify(apiGroupDiscoveryList(version, legacy)));
  return true;
}

/**
 * Kubernetes discovery, which kubectl reads before anything else: `/api`, `/apis`,
 * `/apis/<group>` and `/apis/<group>/<version>`. Every authenticated user may read
 * it. `/api` and `/apis` answer with aggregated discovery (`apidiscovery.k8s.io` v2
 * or v2beta1 `APIGroupDiscoveryList`: every group, version and resource in one document,
 * so kubectl needs one round trip) when the Accept header prefers it, else with the
 * classic documents.
 */
@ApiExcludeController()
@UseGuards(AuthenticatedGuard)
@Controller()
export class DiscoveryController {
  @Get('api')
  legacy(@Req() req: ApiRequest, @Res() res: ApiReply): void {
    if (sendAggregated(req, res, true)) return;
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiVersions() });
  }

  @Get('apis')
  groups(@Req() req: ApiRequest, @Res() res: ApiReply): void {
    if (sendAggregated(req, res, false)) return;
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiGroupList() });
  }

  @Get('apis/:group')
  group(@Param('group') group: string, @Req() req: ApiRequest, @Res() res: ApiReply): void {
    const body = apiGroup(group);
    if (!body) throw notServed(req);
    negotiate(req.headers.accept);
    send(res, { code: 200, body });
  }

  @Get('apis/:group/:version')
  resources(
    @Param('group') group: string,
    @Param('version') version: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): void {
    const gv = servedGroupVersion(group, version);
    if (!gv) throw notServed(req);
    negotiate(req.headers.accept);
    send(res, { code: 200, body: apiResourceList(gv) });
  }

  @All(['api', 'apis', 'apis/:group', 'apis/:group/:version'])
  otherMethods(@Req() req: ApiRequest): never {
    throw apiErrors.methodNotAllowed(`${req.method} is not allowed on discovery; use GET`);
  }
}
