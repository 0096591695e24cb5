import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { API_GROUP, kindInfo, ResourceKindInfo, Status, successStatus } from '@natgw/contracts';
import { ApiError, apiErrors } from '../http/api-error';
import {
  databaseUnavailableStatus,
  isTransientDatabaseError,
} from '../http/transient-database-error';
import { DeleteOptions } from '../resources/delete-options';
import { RequestContext } from '../resources/request-context';
import { CreateResource } from '../resources/use-cases/create-resource';
import { DeleteResource } from '../resources/use-cases/delete-resource';
import { GetResource } from '../resources/use-cases/get-resource';
import { UpdateResource } from '../resources/use-cases/update-resource';
import { inboundActor, InboundOperation } from './inbound-contract';
import { InboundAuthorizer } from './inbound-grants';
import { inboundEventId, inInboundScope } from './inbound-scope';

/** The use cases inbound requests run: REST's own, appending through InboundResourceLog. */
export class InboundUseCases {
  constructor(
    readonly create: CreateResource,
    readonly update: UpdateResource,
    readonly remove: DeleteResource,
    readonly get: GetResource,
  ) {}
}

/** What a request came to: the stored object, or the Status of its failure. */
export type InboundOutcome =
  { ok: true; body: unknown } | { ok: false; status: Status; namespace?: string; name?: string };

/** A parsed request envelope. */
interface Envelope {
  requestId?: string;
  namespace?: string;
  name?: string;
  body: Record<string, unknown>;
}

const MAX_ID = 256;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(body: Record<string, unknown>, field: string, max = MAX_ID) {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw apiErrors.badRequest(`"${field}" must be a string of 1 to ${max} characters`, [
      { field, reason: 'FieldValueInvalid', message: `must be a string of 1 to ${max} characters` },
    ]);
  }
  return v;
}

function parseEnvelope(operation: InboundOperation, bytes: Uint8Array): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw apiErrors.badRequest(`the request body is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw apiErrors.badRequest('the request body must be a JSON object');
  const allowed =
    operation === 'upsert'
      ? ['requestId', 'object']
      : ['requestId', 'namespace', 'name', 'preconditions'];
  const unknown = Object.keys(parsed).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw apiErrors.badRequest(
      `${operation} request: strict decoding error: ${unknown.map((k) => `unknown field "${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`,
    );
  }
  const requestId = optionalString(parsed, 'requestId');
  if (operation === 'upsert') {
    if (!isObject(parsed.object)) {
      throw apiErrors.badRequest('"object" must be the NetworkInterface to store', [
        { field: 'object', reason: 'FieldValueRequired', message: 'Required value' },
      ]);
    }
    const meta = isObject(parsed.object.metadata) ? parsed.object.metadata : {};
    return {
      requestId,
      namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
      name: typeof meta.name === 'string' ? meta.name : undefined,
      body: parsed.object,
    };
  }
  const name = optionalString(parsed, 'name', 253);
  if (name === undefined) {
    throw apiErrors.badRequest('"name" is required: the NetworkInterface to delete', [
      { field: 'name', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  }
  return { requestId, namespace: optionalString(parsed, 'namespace', 63), name, body: parsed };
}

function deleteOptions(body: Record<string, unknown>): DeleteOptions {
  const p = body.preconditions;
  if (p === undefined) return { preconditions: {}, dryRun: false };
  if (!isObject(p)) throw apiErrors.badRequest('"preconditions" must be an object');
  const uid = optionalString(p, 'uid');
  const resourceVersion = optionalString(p, 'resourceVersion');
  return {
    preconditions: {
      ...(uid !== undefined ? { uid } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    dryRun: false,
  };
}

const statusOf = (err: unknown): Status =>
  err instanceof ApiError
    ? err.status
    : isTransientDatabaseError(err)
      ? databaseUnavailableStatus(err)
      : apiErrors.internal(`the request failed: ${(err as Error).message}`).status;

/**
 * Upserts and deletes NetworkInterfaces for inbound NATS requests with REST's
 * use cases, so validation, defaults, concurrency and events are the same.
 * A request with a message id is idempotent: its events get ids derived from
 * it, and a request whose first event is already in the log is answered from
 * the current state without running again.
 */
@Injectable()
export class InboundNicHandler {
  private readonly info: ResourceKindInfo = kindInfo('NetworkInterface');

  constructor(
    private readonly useCases: InboundUseCases,
    private readonly dataSource: DataSource,
    private readonly authorizer: InboundAuthorizer,
  ) {}

  /**
   * Handles one request; never throws. `headerMessageId` is the `Nats-Msg-Id` header;
   * `system` the external system named by the request's subject (undefined: the unnamed one).
   */
  async handle(
    operation: InboundOperation,
    bytes: Uint8Array,
    headerMessageId?: string,
    system?: string,
  ): Promise<InboundOutcome & { requestId?: string }> {
    let envelope: Envelope | undefined;
    try {
      envelope = parseEnvelope(operation, bytes);
      const messageId = headerMessageId || envelope.requestId;
      const namespace = envelope.namespace ?? 'default';
      this.authorize(operation, system, namespace, envelope.name);
      const ctx: RequestContext = {
        info: this.info,
        namespace,
        actor: inboundActor(system),
        correlationId: messageId ?? randomUUID(),
        dryRun: false,
        fieldValidation: 'Strict',
        fieldManager: inboundActor(system),
        fieldManagerGiven: true,
      };
      const env = envelope;
      const body = await inInboundScope({ operation, messageId, system }, async () =>
        messageId !== undefined && (await this.applied(operation, messageId, system))
          ? this.replay(operation, ctx, env)
          : this.run(operation, ctx, env),
      );
      return { ok: true, body, requestId: messageId };
    } catch (err) {
      return {
        ok: false,
        status: statusOf(err),
        namespace: envelope?.namespace ?? (envelope ? 'default' : undefined),
        name: envelope?.name,
        requestId: headerMessageId || envelope?.requestId,
      };
    }
  }

  private async run(operation: InboundOperation, ctx: RequestContext, env: Envelope) {
    if (operation === 'delete') {
      const options = deleteOptions(env.body);
      return (await this.useCases.remove.execute(ctx, env.name ?? '', options)).body;
    }
    const exists =
      env.name !== undefined &&
      (await this.useCases.get.execute(this.info, ctx.namespace, env.name).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ApiError && err.status.code === 404) return false;
          throw err;
        },
      ));
    if (!exists) {
      try {
        return (await this.useCases.create.execute(ctx, env.body)).body;
      } catch (err) {
        // Created by someone else meanwhile: upsert means update it.
        if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
      }
    }
    return (await this.useCases.update.execute(ctx, env.name ?? '', env.body)).body;
  }

  /** A retried request that was applied before: the current state, without applying again. */
  private async replay(operation: InboundOperation, ctx: RequestContext, env: Envelope) {
    const name = env.name ?? '';
    try {
      return (await this.useCases.get.execute(this.info, ctx.namespace, name)).object;
    } catch (err) {
      if (operation === 'delete' && err instanceof ApiError && err.status.code === 404) {
        return successStatus({ name, group: API_GROUP, kind: this.info.plural });
      }
      throw err;
    }
  }

  /** 403 in the words of the Kubernetes RBAC authorizer, as REST answers a token outside its grant. */
  private authorize(
    operation: InboundOperation,
    system: string | undefined,
    namespace: string,
    name: string | undefined,
  ): void {
    const why = this.authorizer.denial(system, namespace);
    if (why === undefined) return;
    const resource = `${this.info.plural}.${API_GROUP}`;
    const subject = name !== undefined ? `${resource} "${name}"` : resource;
    const verb = operation === 'upsert' ? 'update' : 'delete';
    const error = apiErrors.forbidden(
      `${subject} is forbidden: User "${inboundActor(system)}" cannot ${verb} resource "${this.info.plural}" in API group "${API_GROUP}" in the namespace "${namespace}": ${why}`,
    );
    error.status.details = {
      group: API_GROUP,
      kind: this.info.plural,
      ...(name !== undefined ? { name } : {}),
    };
    throw error;
  }

  private async applied(
    operation: InboundOperation,
    messageId: string,
    system: string | undefined,
  ): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM natgw_events WHERE event_id = $1',
      [inboundEventId(operation, messageId, 0, system)],
    );
    return rows.length > 0;
  }
}
