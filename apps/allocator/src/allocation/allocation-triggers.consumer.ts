import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { RecordedEvent } from '@natgw/contracts';
import { ALLOCATION_TRIGGER_TYPES, AllocationScheduler } from './allocation-scheduler';

/**
 * The allocator's durable consumer (`allocator`, on the JetStream transport):
 * resource and pool events schedule reconciles.
 */
@Controller()
export class AllocationTriggersConsumer {
  constructor(private readonly scheduler: AllocationScheduler) {}

  @EventPattern([...ALLOCATION_TRIGGER_TYPES], { durable: 'allocator' })
  async handle(@Payload() event: RecordedEvent): Promise<void> {
    this.scheduler.trigger(event);
  }
}
