import { randomUUID } from 'node:crypto';
import {
  Controller,
  Delete,
  Get,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ApiRequest, ApiReply } from '../http/api-request';
import {
  failureStatus,
  formatTimestamp,
  StatusCause,
  successStatus,
  validateDnsName,
} from '@natgw/contracts';
import { ConcurrencyError, PostgresEventStore } from '@natgw/event-store';
import { quotaStreamId, StoredQuota } from '@natgw/projections';
import { AuthGuard, principalOf } from '../auth/auth.guard';
import { forbidden } from '../auth/forbidden';
import { ApiError, apiErrors, STALE_OBJECT } from '../http/api-error';
import { BodyReaderInterceptor } from '../http/body-reader.middleware';
import { negotiate } from '../http/media-negotiation';
import { QueryParams } from '../http/query-params';
import { objectBody, patchBody } from '../http/request-body';
import { mergePatch } from '../resources/apply-patch';
import { send } from '../resources/api-response';
import { Clock, CLOCK } from '../resources/clock';
import { requestEventMetadata } from '../resources/request-context';
import { ReadView } from '../table/read-view';
import { QUOTA_COLUMNS } from '../table/table-columns';
import { ADMIN_API_VERSION, ADMIN_GROUP } from '../pools/ip-pool-object';
import { QuotaBook } from './quota-book';
import { checkQuotaInput } from './quota-input';
import { QUOTA_KIND, QUOTA_PLURAL, quotaObject, QuotaObject } from './quota-object';
import { QuotaUsage } from './quota-usage';

const COLLECTION = `namespaces/:namespace/${QUOTA_PLURAL}`;
const about = (name: string) => ({ name, group: ADMIN_GROUP, kind: QUOTA_PLURAL });
const qualified = `${QUOTA_PLURAL}.${ADMIN_GROUP}`;

const notFound = (name: string) =>
  new ApiError(failureStatus(404, 'NotFound', `${qualified} "${name}" not found`, about(name)));

const invalid = (name: string, causes: StatusCause[]) =>
  new ApiError(
    failureStatus(
      422,
      'Invalid',
      `${QUOTA_KIND}.${ADMIN_GROUP} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      { name, group: ADMIN_GROUP, kind: QUOTA_KIND, causes },
    ),
  );

const conflict = (name: string, why: string) =>
  new ApiError(
    failureStatus(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`,
      about(name),
    ),
  );

/**
 * NATGatewayQuotas: per-namespace limits on NATGateways, NetworkInterfaces and public IPs,
 * in the style of Kubernetes' ResourceQuota, at
 * `/apis/natgw.ironcore.dev/v1alpha1/namespaces/<ns>/natgatewayquotas`. Tokens of the
 * namespace may read them; writing them needs the "*" grant (tenants must not raise their
 * own quota). A quota is the fold of its stream; status.used is computed when read.
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@UseInterceptors(BodyReaderInterceptor)
@Controller(`apis/${ADMIN_API_VERSION}`)
export class QuotasController {
  constructor(
    private readonly book: QuotaBook,
    private readonly usage: QuotaUsage,
    private readonly store: PostgresEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(QUOTA_PLURAL)
  async listAll(@Req() req: ApiRequest, @Res() res: ApiReply): Promise<void> {
    await this.list(undefined, req, res);
  }

  @Get(COLLECTION)
  async listNamespace(
    @Param('namespace') namespace: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    await this.list(checkNamespace(namespace), req, res);
  }

  @Get(`${COLLECTION}/:name`)
  async get(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    const view = this.readView(req);
    send(res, {
      code: 200,
      body: view.object(await this.current(checkNamespace(namespace), name)),
    });
  }

  @Post(COLLECTION)
  async create(
    @Param('namespace') namespace: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    requireAdmin(req);
    checkNamespace(namespace);
    const input = checkQuotaInput(objectBody(req), namespace);
    if (!input.ok) throw invalid(input.name, input.causes);
    const expected = await this.book.freeVersion(namespace, input.name);
    if (expected === undefined) throw alreadyExists(input.name);
    const data = {
      uid: randomUUID(),
      hard: input.hard,
      labels: input.labels,
      creationTimestamp: formatTimestamp(this.clock()),
    };
    if (!new QueryParams(req.query).dryRun()) {
      try {
        await this.store.append(
          quotaStreamId(namespace, input.name),
          [{ type: 'NATGatewayQuotaSet', data, metadata: requestEventMetadata(req) }],
          { expectedVersion: expected },
        );
      } catch (err) {
        if (err instanceof ConcurrencyError) throw alreadyExists(input.name);
        throw err;
      }
    }
    const stored = (await this.book.get(namespace, input.name)) ?? {
      namespace,
      name: input.name,
      version: 0,
      state: { ...data, generation: 1 },
    };
    send(res, { code: 201, body: await this.object(stored) });
  }

  @Put(`${COLLECTION}/:name`)
  async replace(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    requireAdmin(req);
    send(res, {
      code: 200,
      body: await this.update(checkNamespace(namespace), name, objectBody(req), req),
    });
  }

  @Patch(`${COLLECTION}/:name`)
  async patch(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    requireAdmin(req);
    const body = patchBody(req);
    if (body.type !== 'merge') {
      throw new ApiError(
        failureStatus(
          415,
          'UnsupportedMediaType',
          `${QUOTA_KIND} accepts application/merge-patch+json patches only`,
        ),
      );
    }
    const current = await this.current(checkNamespace(namespace), name);
    const next = mergePatch(
      {
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: { name, ...(current.metadata.labels ? { labels: current.metadata.labels } : {}) },
        spec: current.spec,
      },
      body.patch,
    ) as Record<string, unknown>;
    send(res, { code: 200, body: await this.update(namespace, name, next, req) });
  }

  @Delete(`${COLLECTION}/:name`)
  async delete(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    requireAdmin(req);
    const quota = await this.book.get(checkNamespace(namespace), name);
    if (!quota) throw notFound(name);
    if (!new QueryParams(req.query).dryRun()) {
      try {
        await this.store.append(
          quotaStreamId(namespace, name),
          [
            {
              type: 'NATGatewayQuotaDeleted',
              data: { uid: quota.state.uid },
              metadata: requestEventMetadata(req),
            },
          ],
          { expectedVersion: quota.version },
        );
      } catch (err) {
        if (err instanceof ConcurrencyError) throw conflict(name, STALE_OBJECT);
        throw err;
      }
    }
    send(res, { code: 200, body: successStatus({ ...about(name), uid: quota.state.uid }) });
  }

  /** PUT and PATCH: the quota's hard limits and labels become the manifest's. */
  private async update(
    namespace: string,
    name: string,
    manifest: Record<string, unknown>,
    req: ApiRequest,
  ): Promise<QuotaObject> {
    const input = checkQuotaInput(manifest, namespace, name);
    if (!input.ok) throw invalid(name, input.causes);
    const quota = await this.book.get(namespace, name);
    if (!quota) throw notFound(name);
    if (input.uid !== undefined && input.uid !== quota.state.uid) {
      throw conflict(
        name,
        `Precondition failed: UID in precondition: ${input.uid}, UID in object meta: ${quota.state.uid}`,
      );
    }
    if (input.resourceVersion !== undefined && input.resourceVersion !== String(quota.version)) {
      throw conflict(name, STALE_OBJECT);
    }
    const data = {
      uid: quota.state.uid,
      hard: input.hard,
      labels: input.labels,
      creationTimestamp: quota.state.creationTimestamp,
    };
    if (!new QueryParams(req.query).dryRun()) {
      try {
        await this.store.append(
          quotaStreamId(namespace, name),
          [{ type: 'NATGatewayQuotaSet', data, metadata: requestEventMetadata(req) }],
          { expectedVersion: quota.version },
        );
      } catch (err) {
        if (err instanceof ConcurrencyError) throw conflict(name, STALE_OBJECT);
        throw err;
      }
    }
    return this.object((await this.book.get(namespace, name)) ?? quota);
  }

  private async list(namespace: string | undefined, req: ApiRequest, res: ApiReply): Promise<void> {
    const view = this.readView(req);
    const quotas = await this.book.list(namespace);
    const items: QuotaObject[] = [];
    for (const quota of quotas) items.push(await this.object(quota));
    send(res, {
      code: 200,
      body: view.list({
        apiVersion: ADMIN_API_VERSION,
        kind: `${QUOTA_KIND}List`,
        metadata: {},
        items,
      }),
    });
  }

  private async current(namespace: string, name: string): Promise<QuotaObject> {
    const quota = await this.book.get(namespace, name);
    if (!quota) throw notFound(name);
    return this.object(quota);
  }

  private async object(quota: StoredQuota): Promise<QuotaObject> {
    return quotaObject(quota, await this.usage.used(quota.namespace));
  }

  private readView(req: ApiRequest): ReadView {
    const representation = negotiate(req.headers.accept, ['Table', 'PartialObjectMetadata']);
    return new ReadView(representation, QUOTA_COLUMNS, new QueryParams(req.query), this.clock);
  }
}

function alreadyExists(name: string): ApiError {
  return new ApiError(
    failureStatus(409, 'AlreadyExists', `${qualified} "${name}" already exists`, about(name)),
  );
}

/** A namespace in the path must be a DNS-1123 label (404 otherwise, as for the other kinds). */
function checkNamespace(namespace: string): string {
  if (validateDnsName('namespace', namespace, 'label').length > 0)
    throw apiErrors.namespaceNotFound(namespace);
  return namespace;
}

/** Quotas bound tenants: only a token with every namespace ("*") may write them. */
function requireAdmin(req: ApiRequest): void {
  const principal = principalOf(req);
  if (principal.namespaces !== '*') {
    throw forbidden(
      req,
      principal.user,
      'NATGatewayQuotas are set by cluster admins: writing one needs a token granted every namespace ("*")',
    );
  }
}
