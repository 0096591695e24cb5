import type { RecordedEvent } from '@natgw/contracts';
import { EventConsumer, OnEvent } from '@natgw/messaging';
import { ALLOCATION_TRIGGER_TYPES, AllocationScheduler } from './allocation-scheduler';

/** The allocator's durable consumer: resource and pool events schedule reconciles. */
@EventConsumer({ durable: 'allocator' })
export class AllocationTriggersConsumer {
  constructor(private readonly scheduler: AllocationScheduler) {}

  @OnEvent(...ALLOCATION_TRIGGER_TYPES)
  async handle(event: RecordedEvent): Promise<void> {
    this.scheduler.trigger(event);
  }
}
