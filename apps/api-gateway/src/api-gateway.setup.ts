import { INestApplication } from '@nestjs/common';
import type { Application } from 'express';
import { startJetStreamTransport } from '@natgw/messaging';
import { buildKubernetesOpenApi } from './openapi/kubernetes-openapi';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OpenApiDocumentHolder } from './openapi/openapi.controller';

/**
 * Set-up of the api-gateway app before it listens (runService's `configure`, and
 * the tests'): Express settings, the OpenAPI documents, which need the app, and the
 * JetStream transport (inbound NetworkInterface requests are its `@MessagePattern`s).
 */
export async function configureApiGateway(app: INestApplication): Promise<void> {
  const express = app.getHttpAdapter().getInstance() as Application;
  express.disable('x-powered-by');
  express.set('etag', false);
  const holder = app.get(OpenApiDocumentHolder);
  holder.document = buildOpenApiDocument(app);
  holder.kubernetes = buildKubernetesOpenApi(holder.document);
  await startJetStreamTransport(app);
}
