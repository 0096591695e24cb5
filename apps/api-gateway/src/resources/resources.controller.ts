import {
  All,
  Controller,
  Delete,
  Get,
  Inject,
  Patch,
  Post,
  Put,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiReply, pathOf } from '../http/api-request';
import { API_GROUP, API_VERSION_NAME } from '@natgw/contracts';
import { ApiGatewayConfig } from '../api-gateway.config';
import { AuthGuard } from '../auth/auth.guard';
import { assertAdmin } from '../auth/admin';
import { apiErrors } from '../http/api-error';
import { BodyReaderInterceptor } from '../http/body-reader.middleware';
import { negotiate } from '../http/media-negotiation';
import { QueryParams } from '../http/query-params';
import { objectBody, optionalObjectBody, patchBody } from '../http/request-body';
import { ReadView } from '../table/read-view';
import { RESOURCE_COLUMNS } from '../table/table-columns';
import { send } from './api-response';
import { Clock, CLOCK } from './clock';
import { parseDeleteOptions } from './delete-options';
import { requestContext } from './request-context';
import { CollectionTarget, ObjectTarget, ResourceTarget, Target } from './resource-target';
import { CreateResource } from './use-cases/create-resource';
import { DeleteResource } from './use-cases/delete-resource';
import { GetNatTable } from './use-cases/get-nat-table';
import { ForceFinalize, forceReason } from './use-cases/force-finalize';
import { GetResource } from './use-cases/get-resource';
import { ListResources } from './use-cases/list-resources';
import { ApplyResource } from './use-cases/apply-resource';
import { PatchResource } from './use-cases/patch-resource';
import { UpdateResource } from './use-cases/update-resource';
import { WatchResources } from './use-cases/watch-resources';

/** The path prefix of natgw's resources: `/apis/networking.ironcore.dev/v1alpha1`. */
export const RESOURCES_PREFIX = `apis/${API_GROUP}/${API_VERSION_NAME}`;

const COLLECTION = 'namespaces/:namespace/:plural';
const ITEM = `${COLLECTION}/:name`;
const SUBRESOURCE = `${ITEM}/:subresource`;

/**
 * The Kubernetes-style REST surface. It parses, authorizes (AuthGuard) and calls
 * one use case per verb; it holds no rules of its own. Reads answer in the
 * representation the client negotiated: the object, or a Table for `kubectl get`.
 */
// The body reader sits on every route but the GETs: a GET's body is never read, and a route
// without interceptors skips Nest's interceptor chain (a profile of GET showed it).
@ApiExcludeController()
@UseGuards(AuthGuard)
@Controller(RESOURCES_PREFIX)
export class ResourcesController {
  constructor(
    private readonly createResource: CreateResource,
    private readonly getResource: GetResource,
    private readonly listResources: ListResources,
    private readonly watchResources: WatchResources,
    private readonly updateResource: UpdateResource,
    private readonly patchResource: PatchResource,
    private readonly applyResource: ApplyResource,
    private readonly deleteResource: DeleteResource,
    private readonly getNatTable: GetNatTable,
    private readonly forceFinalize: ForceFinalize,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly config: ApiGatewayConfig,
  ) {}

  @Get(':plural')
  async listAllNamespaces(@Target() t: ResourceTarget, @Res() res: ApiReply): Promise<void> {
    await this.listOrWatch(t, res);
  }

  @Get(COLLECTION)
  async list(@Target() t: CollectionTarget, @Res() res: ApiReply): Promise<void> {
    await this.listOrWatch(t, res);
  }

  @Post(COLLECTION)
  @UseInterceptors(BodyReaderInterceptor)
  async create(@Target({ names: false }) t: CollectionTarget, @Res() res: ApiReply): Promise<void> {
    send(res, await this.createResource.execute(this.context(t), objectBody(t.req)));
  }

  @Get(ITEM)
  async get(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    const view = this.readView(t);
    const object = await this.getResource.object(t.info, t.namespace, t.name);
    send(res, { code: 200, body: view.object(object) });
  }

  @Put(ITEM)
  @UseInterceptors(BodyReaderInterceptor)
  async update(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    send(res, await this.updateResource.execute(this.context(t), t.name, objectBody(t.req)));
  }

  @Patch(ITEM)
  @UseInterceptors(BodyReaderInterceptor)
  async patch(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    const body = patchBody(t.req);
    const ctx = this.context(t);
    if (body.type === 'apply') {
      const force = new QueryParams(t.req.query).boolean('force');
      send(res, await this.applyResource.execute(ctx, t.name, body.configuration, force));
      return;
    }
    send(res, await this.patchResource.execute(ctx, t.name, body));
  }

  @Delete(ITEM)
  @UseInterceptors(BodyReaderInterceptor)
  async delete(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    const ctx = this.context(t);
    const options = parseDeleteOptions(optionalObjectBody(t.req), ctx.dryRun);
    send(res, await this.deleteResource.execute(ctx, t.name, options));
  }

  @Get(SUBRESOURCE)
  async getSubresource(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    if (t.subresource === 'status') {
      const view = this.readView(t);
      const object = await this.getResource.object(t.info, t.namespace, t.name);
      send(res, { code: 200, body: view.object(object) });
    } else if (t.subresource === 'nattable' && t.info.kind === 'NATGateway') {
      send(res, { code: 200, body: await this.getNatTable.execute(t.namespace, t.name) });
    } else {
      throw apiErrors.noSuchPath(`${t.req.method} ${pathOf(t.req)}`);
    }
  }

  /**
   * `POST .../<plural>/<name>/finalize`: an admin ends the deletion of a NATGateway
   * or NetworkInterface that the allocator cannot finish (see ForceFinalize).
   */
  @Post(SUBRESOURCE)
  @UseInterceptors(BodyReaderInterceptor)
  async postSubresource(@Target() t: ObjectTarget, @Res() res: ApiReply): Promise<void> {
    if (t.subresource !== 'finalize') return this.otherSubresourceMethods(t);
    assertAdmin(t.req, 'forcing the finalization of an object');
    const reason = forceReason(optionalObjectBody(t.req));
    send(res, await this.forceFinalize.execute(this.context(t), t.name, reason));
  }

  // The routes below answer the methods a path does not support (405), after the
  // kind of the URL was checked (404 for an unknown one).

  @All(SUBRESOURCE)
  @UseInterceptors(BodyReaderInterceptor)
  otherSubresourceMethods(@Target({ names: false }) t: ResourceTarget): never {
    if (t.subresource === 'status') {
      throw apiErrors.methodNotAllowed(
        `${t.req.method} is not allowed on the status subresource: status is written only by natgw itself (read it with GET)`,
      );
    }
    if (t.subresource === 'finalize') {
      throw apiErrors.methodNotAllowed(
        `${t.req.method} is not allowed on finalize; use POST (admins, for an object being deleted)`,
      );
    }
    throw apiErrors.methodNotAllowed(`${t.req.method} is not allowed on ${t.subresource}; use GET`);
  }

  @All(ITEM)
  @UseInterceptors(BodyReaderInterceptor)
  otherItemMethods(@Target({ names: false }) t: ResourceTarget): never {
    throw apiErrors.methodNotAllowed(
      `${t.req.method} is not allowed on a single object; use GET, PUT, PATCH or DELETE`,
    );
  }

  @All(COLLECTION)
  @UseInterceptors(BodyReaderInterceptor)
  otherCollectionMethods(@Target({ names: false }) t: ResourceTarget): never {
    throw apiErrors.methodNotAllowed(
      `${t.req.method} is not allowed on a collection; use GET (list, watch) or POST (create)`,
    );
  }

  @All(':plural')
  @UseInterceptors(BodyReaderInterceptor)
  otherAllNamespacesMethods(@Target({ names: false }) t: ResourceTarget): never {
    throw apiErrors.methodNotAllowed(
      `${t.req.method} is not allowed on an all-namespaces list; use GET`,
    );
  }

  private async listOrWatch(t: ResourceTarget, res: ApiReply): Promise<void> {
    const query = new QueryParams(t.req.query);
    const view = this.readView(t);
    if (query.boolean('watch')) {
      await this.watchResources.execute(t.info, t.namespace, query, t.req, res, (event) =>
        view.event(event),
      );
      return;
    }
    const list = await this.listResources.execute(t.info, t.namespace, query);
    send(res, { code: 200, body: view.list(list) });
  }

  private context(t: CollectionTarget) {
    return requestContext(t.req, t.info, t.namespace, this.config.MAX_PUBLIC_IPS_PER_GATEWAY);
  }

  private readView(t: ResourceTarget): ReadView {
    const representation = negotiate(t.req.headers.accept, ['Table', 'PartialObjectMetadata']);
    return new ReadView(
      representation,
      RESOURCE_COLUMNS[t.info.kind],
      new QueryParams(t.req.query),
      this.clock,
    );
  }
}
