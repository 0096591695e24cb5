import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ApiReply } from '../http/api-request';
import { send } from '../resources/api-response';
import { versionInfo } from './discovery-documents';

/** `GET /version`, open to everyone like Kubernetes' (system:public-info-viewer). */
@ApiExcludeController()
@Controller()
export class VersionController {
  @Get('version')
  version(@Res() res: ApiReply): void {
    send(res, { code: 200, body: versionInfo() });
  }
}
