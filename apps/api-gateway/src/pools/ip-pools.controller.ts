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
import { failureStatus, isDns1123Subdomain, successStatus } from '@natgw/contracts';
import { AuthGuard } from '../auth/auth.guard';
import { ApiError } from '../http/api-error';
import { BodyReaderInterceptor } from '../http/body-reader.middleware';
import { negotiate } from '../http/media-negotiation';
import { QueryParams } from '../http/query-params';
import { objectBody, patchBody } from '../http/request-body';
import { mergePatch } from '../resources/apply-patch';
import { send } from '../resources/api-response';
import { Clock, CLOCK } from '../resources/clock';
import { requestEventMetadata } from '../resources/request-context';
import { ReadView } from '../table/read-view';
import { IP_POOL_COLUMNS } from '../table/table-columns';
import { IpPoolBook } from './ip-pool-book';
import { checkIpPoolInput } from './ip-pool-input';
import { ADMIN_API_VERSION, ADMIN_GROUP, ipPoolObject } from './ip-pool-object';
import { SetIpPoolPrefixes } from './set-ip-pool-prefixes';

function notFound(name: string): ApiError {
  return new ApiError(
    failureStatus(404, 'NotFound', `ippools.${ADMIN_GROUP} "${name}" not found`, {
      name,
      group: ADMIN_GROUP,
      kind: 'ippools',
    }),
  );
}

/**
 * A pool name from the URL: one no pool can have (not a DNS-1123 subdomain) is
 * 404 before it reaches a query, as for the other kinds (assertPathNames); such
 * bytes (NUL, for one) cannot even be stored.
 */
function poolName(name: string): string {
  if (!isDns1123Subdomain(name)) throw notFound(name);
  return name;
}

function invalid(name: string, causes: import('@natgw/contracts').StatusCause[]): ApiError {
  return new ApiError(
    failureStatus(
      422,
      'Invalid',
      `IPPool.${ADMIN_GROUP} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      {
        name,
        group: ADMIN_GROUP,
        kind: 'IPPool',
        causes,
      },
    ),
  );
}

/**
 * Public IP pools, a cluster-scoped admin resource: `/apis/natgw.ironcore.dev/v1alpha1/ippools`.
 * Status shows each prefix's total, used and free addresses. Tokens need a grant for "*".
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@UseInterceptors(BodyReaderInterceptor)
@Controller(`apis/${ADMIN_API_VERSION}/ippools`)
export class IpPoolsController {
  constructor(
    private readonly book: IpPoolBook,
    private readonly setPrefixes: SetIpPoolPrefixes,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  async list(@Req() req: ApiRequest, @Res() res: ApiReply): Promise<void> {
    const view = this.readView(req);
    const pools = (await this.book.all()).filter((p) => p.state.prefixes.length > 0);
    send(res, {
      code: 200,
      body: view.list({
        apiVersion: ADMIN_API_VERSION,
        kind: 'IPPoolList',
        metadata: {},
        items: pools.map((p) => ipPoolObject(p.name, p.version, p.state, p.createdAt)),
      }),
    });
  }

  @Get(':name')
  async get(
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    const view = this.readView(req);
    const pool = await this.book.get(poolName(name));
    if (!pool || pool.state.prefixes.length === 0) throw notFound(name);
    send(res, {
      code: 200,
      body: view.object(ipPoolObject(pool.name, pool.version, pool.state, pool.createdAt)),
    });
  }

  @Post()
  async create(@Req() req: ApiRequest, @Res() res: ApiReply): Promise<void> {
    const input = checkIpPoolInput(objectBody(req));
    if (!input.ok) throw invalid(input.name, input.causes);
    const created = await this.setPrefixes.execute({
      name: input.name,
      mode: 'create',
      prefixes: input.prefixes,
      metadata: requestEventMetadata(req),
    });
    send(res, { code: 201, body: created });
  }

  @Put(':name')
  async replace(
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    send(res, { code: 200, body: await this.update(poolName(name), objectBody(req), req) });
  }

  @Patch(':name')
  async patch(
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    const body = patchBody(req);
    if (body.type !== 'merge') {
      throw new ApiError(
        failureStatus(
          415,
          'UnsupportedMediaType',
          'IPPool accepts application/merge-patch+json patches only',
        ),
      );
    }
    const pool = await this.book.get(poolName(name));
    if (!pool || pool.state.prefixes.length === 0) throw notFound(name);
    const current = ipPoolObject(pool.name, pool.version, pool.state, pool.createdAt);
    const next = mergePatch(
      {
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: { name },
        spec: current.spec,
      },
      body.patch,
    ) as Record<string, unknown>;
    send(res, { code: 200, body: await this.update(name, next, req) });
  }

  /** PUT and PATCH: the pool's prefixes become the manifest's. */
  private async update(name: string, manifest: Record<string, unknown>, req: ApiRequest) {
    const input = checkIpPoolInput(manifest, name);
    if (!input.ok) throw invalid(name, input.causes);
    return this.setPrefixes.execute({
      name,
      mode: 'update',
      prefixes: input.prefixes,
      ...(input.resourceVersion ? { resourceVersion: input.resourceVersion } : {}),
      metadata: requestEventMetadata(req),
    });
  }

  @Delete(':name')
  async delete(
    @Param('name') name: string,
    @Req() req: ApiRequest,
    @Res() res: ApiReply,
  ): Promise<void> {
    await this.setPrefixes.execute({
      name: poolName(name),
      mode: 'delete',
      prefixes: [],
      metadata: requestEventMetadata(req),
    });
    send(res, { code: 200, body: successStatus({ name, group: ADMIN_GROUP, kind: 'ippools' }) });
  }

  /** How reads answer: the object, or the Table `kubectl get ippools` asks for. */
  private readView(req: ApiRequest): ReadView {
    const representation = negotiate(req.headers.accept, ['Table', 'PartialObjectMetadata']);
    return new ReadView(representation, IP_POOL_COLUMNS, new QueryParams(req.query), this.clock);
  }
}
