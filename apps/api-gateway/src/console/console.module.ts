import { DynamicModule, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { consoleFilesDir } from './console-files';
import { serveConsole } from './console-static';

/** Where the console is served. */
export const CONSOLE_PATH = '/ui';

const CONSOLE_DIR = Symbol('CONSOLE_DIR');

/**
 * The web console: the static files of apps/console-ui, built by `npm run build`,
 * served at /ui/ without a token (they hold no data; every API call the page makes
 * carries the user's token and is authorized as any other). Nothing is fetched from
 * elsewhere. Unknown paths under /ui/ get index.html (the page routes itself).
 */
@Module({})
export class ConsoleModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CONSOLE_DIR) private readonly dir: string | undefined,
  ) {}

  static forRoot(dir = consoleFilesDir(__dirname)): DynamicModule {
    if (!dir) {
      new Logger('Console').warn(
        'the web console is not built (no dist/console-ui/index.html): run npm run build to serve it at /ui/',
      );
    }
    return { module: ConsoleModule, providers: [{ provide: CONSOLE_DIR, useValue: dir }] };
  }

  onModuleInit(): void {
    if (!this.dir) return;
    const fastify = this.adapterHost.httpAdapter.getInstance() as FastifyInstance;
    serveConsole(fastify, this.dir, CONSOLE_PATH);
  }
}
