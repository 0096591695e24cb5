import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { consoleFilesDir, consoleHeaders } from './console-files';

/** Where the console is served. */
export const CONSOLE_PATH = '/ui';

/**
 * The web console: the static files of apps/console-ui, built by `npm run build`,
 * served at /ui/ without a token (they hold no data; every API call the page makes
 * carries the user's token and is authorized as any other). Nothing is fetched from
 * elsewhere. Unknown paths under /ui/ get index.html (the page routes itself).
 */
@Module({})
export class ConsoleModule {
  static forRoot(dir = consoleFilesDir(__dirname)): DynamicModule {
    if (!dir) {
      new Logger('Console').warn(
        'the web console is not built (no dist/console-ui/index.html): run npm run build to serve it at /ui/',
      );
      return { module: ConsoleModule };
    }
    return {
      module: ConsoleModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: dir,
          serveRoot: CONSOLE_PATH,
          serveStaticOptions: {
            index: 'index.html',
            dotfiles: 'deny',
            etag: true,
            setHeaders: (res: { setHeader(name: string, value: string): void }, path: string) => {
              for (const [name, value] of Object.entries(consoleHeaders(path))) {
                res.setHeader(name, value);
              }
            },
          },
        }),
      ],
    };
  }
}
