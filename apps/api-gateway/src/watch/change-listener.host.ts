import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ResourceChangeListener } from '@natgw/projections';

/** Closes the LISTEN connection of the resource change listener when the app shuts down. */
@Injectable()
export class ChangeListenerHost implements OnApplicationShutdown {
  constructor(private readonly listener: ResourceChangeListener) {}

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }
}
