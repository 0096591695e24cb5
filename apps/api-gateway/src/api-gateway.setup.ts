import { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { startJetStreamTransport } from '@natgw/messaging';
import { answerFrameworkErrors, deferBodies } from './http/fastify-setup';
import { buildKubernetesOpenApi } from './openapi/kubernetes-openapi';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OpenApiDocumentHolder } from './openapi/openapi.controller';

/**
 * Set-up of the api-gateway app before it listens (runService's `configure`, and
 * the tests'): Fastify's body handling and error answers, the OpenAPI documents,
 * which need the app, and the JetStream transport (inbound NetworkInterface requests
 * are its `@MessagePattern`s).
 */
export async function configureApiGateway(app: INestApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  deferBodies(fastify);
  answerFrameworkErrors(fastify, app.getHttpAdapter());
  const holder = app.get(OpenApiDocumentHolder);
  holder.document = buildOpenApiDocument(app);
  holder.kubernetes = buildKubernetesOpenApi(holder.document);
  await startJetStreamTransport(app);
}
