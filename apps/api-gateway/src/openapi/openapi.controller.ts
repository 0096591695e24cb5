import { Controller, Get, Injectable, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController, OpenAPIObject } from '@nestjs/swagger';
import type { ApiReply } from '../http/api-request';
import { AuthenticatedGuard } from '../auth/auth.guard';
import { apiErrors } from '../http/api-error';
import { KubernetesOpenApi } from './kubernetes-openapi';

/** Holds the OpenAPI documents, built once the application exists (configureApiGateway). */
@Injectable()
export class OpenApiDocumentHolder {
  document?: OpenAPIObject;
  kubernetes?: KubernetesOpenApi;
}

const notBuilt = () => apiErrors.noSuchPath('the OpenAPI documents are built at start-up');

/**
 * Serves the OpenAPI documents. `/openapi.json` is the whole API in one plain
 * OpenAPI 3 document, open to everyone. `/openapi/v3` is Kubernetes' OpenAPI v3
 * index and `/openapi/v3/apis/<group>/<version>` its per-group documents, which
 * kubectl reads for apply, edit and explain; like discovery they need a known
 * token (any grant).
 */
@ApiExcludeController()
@Controller()
export class OpenApiController {
  constructor(private readonly holder: OpenApiDocumentHolder) {}

  @Get('openapi.json')
  document(): OpenAPIObject {
    if (!this.holder.document) throw notBuilt();
    return this.holder.document;
  }

  @Get('openapi/v3')
  @UseGuards(AuthenticatedGuard)
  index(): KubernetesOpenApi['index'] {
    if (!this.holder.kubernetes) throw notBuilt();
    return this.holder.kubernetes.index;
  }

  @Get('openapi/v3/apis/:group/:version')
  @UseGuards(AuthenticatedGuard)
  groupVersion(
    @Param('group') group: string,
    @Param('version') version: string,
    @Query('hash') hash: unknown,
    @Res() res: ApiReply,
  ): void {
    const key = `apis/${group}/${version}`;
    const doc = this.holder.kubernetes?.documents.get(key);
    if (!doc) throw apiErrors.noSuchPath(`/openapi/v3/${key}`);
    // The URL with the current hash names this exact content: cacheable for good.
    res.header(
      'Cache-Control',
      hash === doc.hash ? 'public, immutable, max-age=31536000' : 'no-cache, private',
    );
    res.header('ETag', `"${doc.hash}"`);
    res.code(200).type('application/json').send(doc.json);
  }
}
