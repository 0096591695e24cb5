import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiExcludeController, OpenAPIObject } from '@nestjs/swagger';
import { apiErrors } from '../http/api-error';

/** Holds the OpenAPI document, built once the application exists (configureApiGateway). */
@Injectable()
export class OpenApiDocumentHolder {
  document?: OpenAPIObject;
}

/**
 * Serves the OpenAPI 3 document, unauthenticated. `/openapi.json` is its lasting
 * address; `/openapi/v3` serves the same for now and will become the Kubernetes
 * OpenAPI index that kubectl reads.
 */
@ApiExcludeController()
@Controller()
export class OpenApiController {
  constructor(private readonly holder: OpenApiDocumentHolder) {}

  @Get(['openapi.json', 'openapi/v3'])
  document(): OpenAPIObject {
    if (!this.holder.document)
      throw apiErrors.noSuchPath('/openapi/v3 (the document is built at start-up)');
    return this.holder.document;
  }
}
