import { ArgumentsHost, Catch, INestApplication, RpcExceptionFilter } from '@nestjs/common';
import { NestMicroservice } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { JetStreamServer } from './jetstream.server';

/**
 * Hands a handler's error to the transport unchanged. Nest's default RPC filter turns
 * every error into `{ status: 'error' }`, which would make an InvalidMessageError
 * (dead-letter now) look like a transient failure (retry).
 */
@Catch()
export class JetStreamExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Connects MessagingModule's JetStreamServer to the app as a Nest microservice,
 * initialises the app (its bootstrap hooks run first, as before) and starts the
 * transport: the `@EventPattern` consumers pull and the `@MessagePattern` subjects
 * are subscribed when this resolves. Call it before `app.listen`.
 */
export async function startJetStreamTransport(app: INestApplication): Promise<void> {
  const server = app.get(JetStreamServer);
  const transport = app.connectMicroservice({ strategy: server }) as NestMicroservice;
  // connectMicroservice registers the handlers before a global filter can be added, and a
  // handler binds the filters there are when it is registered: add the filter, register again.
  transport.useGlobalFilters(new JetStreamExceptionFilter());
  server.getHandlers().clear();
  transport.registerListeners();
  await app.init();
  await app.startAllMicroservices();
}
