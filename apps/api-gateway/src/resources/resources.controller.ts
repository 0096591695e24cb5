import {
  All,
  Controller,
  Delete,
  Get,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { API_GROUP, API_VERSION_NAME, kindByPlural, ResourceKindInfo } from '@natgw/contracts';
import { AuthGuard } from '../auth/auth.guard';
import { apiErrors } from '../http/api-error';
import { QueryParams } from '../http/query-params';
import { objectBody, optionalObjectBody, patchBody } from '../http/request-body';
import { send } from './api-response';
import { parseDeleteOptions } from './delete-options';
import { assertPathNames } from './path-names';
import { requestContext } from './request-context';
import { CreateResource } from './use-cases/create-resource';
import { DeleteResource } from './use-cases/delete-resource';
import { GetNatTable } from './use-cases/get-nat-table';
import { GetResource } from './use-cases/get-resource';
import { ListResources } from './use-cases/list-resources';
import { PatchResource } from './use-cases/patch-resource';
import { UpdateResource } from './use-cases/update-resource';
import { WatchResources } from './use-cases/watch-resources';

/** The path prefix of natgw's resources: `/apis/networking.ironcore.dev/v1alpha1`. */
export const RESOURCES_PREFIX = `apis/${API_GROUP}/${API_VERSION_NAME}`;

const COLLECTION = 'namespaces/:namespace/:plural';
const ITEM = `${COLLECTION}/:name`;
const SUBRESOURCE = `${ITEM}/:subresource`;

function kindOf(req: Request, plural: string): ResourceKindInfo {
  const info = kindByPlural(plural);
  if (!info) throw apiErrors.noSuchPath(`${req.method} ${req.path}`);
  return info;
}

/** The kind of the URL, once its namespace (and name) could name an object at all. */
function existing(
  req: Request,
  plural: string,
  namespace: string,
  name?: string,
): ResourceKindInfo {
  const info = kindOf(req, plural);
  assertPathNames(info, namespace, name);
  return info;
}

/**
 * The Kubernetes-style REST surface. It parses, authorizes (AuthGuard) and calls
 * one use case per verb; it holds no rules of its own.
 */
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
    private readonly deleteResource: DeleteResource,
    private readonly getNatTable: GetNatTable,
  ) {}

  @Get(':plural')
  async listAllNamespaces(
    @Param('plural') plural: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.listOrWatch(kindOf(req, plural), undefined, req, res);
  }

  @Get(COLLECTION)
  async list(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.listOrWatch(existing(req, plural, namespace), namespace, req, res);
  }

  @Post(COLLECTION)
  async create(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const ctx = requestContext(req, kindOf(req, plural), namespace);
    send(res, await this.createResource.execute(ctx, objectBody(req)));
  }

  @Get(ITEM)
  async get(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const stored = await this.getResource.execute(
      existing(req, plural, namespace, name),
      namespace,
      name,
    );
    send(res, { code: 200, body: stored.object });
  }

  @Put(ITEM)
  async update(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const ctx = requestContext(req, existing(req, plural, namespace, name), namespace);
    send(res, await this.updateResource.execute(ctx, name, objectBody(req)));
  }

  @Patch(ITEM)
  async patch(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const ctx = requestContext(req, existing(req, plural, namespace, name), namespace);
    send(res, await this.patchResource.execute(ctx, name, patchBody(req)));
  }

  @Delete(ITEM)
  async delete(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const ctx = requestContext(req, existing(req, plural, namespace, name), namespace);
    const options = parseDeleteOptions(optionalObjectBody(req), ctx.dryRun);
    send(res, await this.deleteResource.execute(ctx, name, options));
  }

  @Get(SUBRESOURCE)
  async getSubresource(
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Param('subresource') subresource: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const info = existing(req, plural, namespace, name);
    if (subresource === 'status') {
      send(res, {
        code: 200,
        body: (await this.getResource.execute(info, namespace, name)).object,
      });
    } else if (subresource === 'nattable' && info.kind === 'NATGateway') {
      send(res, { code: 200, body: await this.getNatTable.execute(namespace, name) });
    } else {
      throw apiErrors.noSuchPath(`${req.method} ${req.path}`);
    }
  }

  @All(SUBRESOURCE)
  otherSubresourceMethods(
    @Param('plural') plural: string,
    @Param('subresource') subresource: string,
    @Req() req: Request,
  ): never {
    kindOf(req, plural);
    if (subresource === 'status') {
      throw apiErrors.methodNotAllowed(
        `${req.method} is not allowed on the status subresource: status is written only by natgw itself (read it with GET)`,
      );
    }
    throw apiErrors.methodNotAllowed(`${req.method} is not allowed on ${subresource}; use GET`);
  }

  @All(ITEM)
  otherItemMethods(@Param('plural') plural: string, @Req() req: Request): never {
    kindOf(req, plural);
    throw apiErrors.methodNotAllowed(
      `${req.method} is not allowed on a single object; use GET, PUT, PATCH or DELETE`,
    );
  }

  @All(COLLECTION)
  otherCollectionMethods(@Param('plural') plural: string, @Req() req: Request): never {
    kindOf(req, plural);
    throw apiErrors.methodNotAllowed(
      `${req.method} is not allowed on a collection; use GET (list, watch) or POST (create)`,
    );
  }

  @All(':plural')
  otherAllNamespacesMethods(@Param('plural') plural: string, @Req() req: Request): never {
    kindOf(req, plural);
    throw apiErrors.methodNotAllowed(
      `${req.method} is not allowed on an all-namespaces list; use GET`,
    );
  }

  private async listOrWatch(
    info: ResourceKindInfo,
    namespace: string | undefined,
    req: Request,
    res: Response,
  ) {
    const query = new QueryParams(req.query);
    if (query.boolean('watch')) {
      await this.watchResources.execute(info, namespace, query, req, res);
      return;
    }
    send(res, { code: 200, body: await this.listResources.execute(info, namespace, query) });
  }
}
