import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import { NatsReply } from './jetstream-patterns';
import { MessagingModuleOptions } from './messaging-module-options';
import { MESSAGING_OPTIONS, NATS_CONNECTION } from './messaging.tokens';

const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The client side of the JetStream transport's `@MessagePattern`s (a Nest ClientProxy):
 * `send(subject, body)` makes a core NATS request on `<NATS_SUBJECT_PREFIX>.<subject>`
 * over the service's connection and emits the reply as a NatsReply (body as text,
 * headers). Events have no client: an event exists once it is in the PostgreSQL log,
 * so `emit` fails; append to the log instead.
 */
@Injectable()
export class NatsRequestClient extends ClientProxy {
  /** How long a request waits for its reply. */
  timeoutMs = 10_000;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
  ) {
    super();
  }

  async connect(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('the NATS connection is closed');
  }

  /** The connection belongs to MessagingModule, which closes it. */
  close(): void {}

  unwrap<T>(): T {
    return this.nc as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern: unknown = packet.pattern;
    if (typeof pattern !== 'string' || !SUBJECT.test(pattern)) {
      callback({
        err: new Error(
          `a request subject is dot-separated tokens without wildcards, not ${JSON.stringify(pattern)}`,
        ),
        isDisposed: true,
      });
      return () => undefined;
    }
    const data = packet.data as unknown;
    const body =
      typeof data === 'string' || data instanceof Uint8Array ? data : JSON.stringify(data);
    let open = true;
    this.nc
      .request(`${this.options.subjectPrefix}.${pattern}`, body, { timeout: this.timeoutMs })
      .then(
        (msg) => {
          if (!open) return;
          const headers: Record<string, string> = {};
          for (const [k, v] of msg.headers ?? []) headers[k] = v.join(', ');
          const reply: NatsReply = { data: msg.string(), headers };
          callback({ response: reply, isDisposed: true });
        },
        (err: unknown) => {
          if (open) callback({ err, isDisposed: true });
        },
      );
    return () => {
      open = false;
    };
  }

  protected dispatchEvent<T>(): Promise<T> {
    return Promise.reject(
      new Error(
        'natgw events are appended to the PostgreSQL log (the relay publishes them), not emitted',
      ),
    );
  }
}
