import { RecordedEvent } from './event';
import { cloudEventSubject, cloudEventType, fromCloudEvent, toCloudEvent } from './cloud-event';
import { eventSubject } from './subjects';

const recorded = (over: Partial<RecordedEvent> = {}): RecordedEvent => ({
  id: '0b9a3c1e-3f7d-4f55-9d7a-1f2a3b4c5d6e',
  streamId: 'natgateway:default/natgateway-sample',
  version: 3,
  type: 'NATGatewayUpdated',
  data: { uid: 'u1', generation: 2 },
  metadata: { correlationId: 'req-1', causationId: 'ev-0', actor: 'alice' },
  globalPosition: '42',
  transactionId: '901',
  recordedAt: new Date('2026-11-26T10:42:00.123Z'),
  ...over,
});

describe('cloudEventType', () => {
  it.each([
    ['natgateway', 'NATGatewayCreated', 'dev.ironcore.natgw.natgateway.created.v1'],
    [
      'networkinterface',
      'NetworkInterfaceDeletionRequested',
      'dev.ironcore.natgw.networkinterface.deletion-requested.v1',
    ],
    [
      'natgatewayautoscaler',
      'NATGatewayAutoscalerUpdated',
      'dev.ironcore.natgw.natgatewayautoscaler.updated.v1',
    ],
    ['network', 'NetworkDeleted', 'dev.ironcore.natgw.network.deleted.v1'],
    ['allocation', 'NATSlotAssigned', 'dev.ironcore.natgw.allocation.nat-slot-assigned.v1'],
    [
      'allocation',
      'NATGatewayIPAssigned',
      'dev.ironcore.natgw.allocation.nat-gateway-ip-assigned.v1',
    ],
    ['ippool', 'PublicIPClaimed', 'dev.ironcore.natgw.ippool.public-ip-claimed.v1'],
    ['dataplane', 'NATTableProgrammed', 'dev.ironcore.natgw.dataplane.nat-table-programmed.v1'],
    ['deadletter', 'MessageDeadLettered', 'dev.ironcore.natgw.deadletter.message-dead-lettered.v1'],
  ])('%s %s is %s', (category, type, expected) => {
    expect(cloudEventType(category, type)).toBe(expected);
  });

  it('carries the schema version', () => {
    expect(cloudEventType('natgateway', 'NATGatewayCreated', 2)).toBe(
      'dev.ironcore.natgw.natgateway.created.v2',
    );
  });
});

describe('cloudEventSubject', () => {
  it('is namespace/name for resource streams, names with dots included', () => {
    expect(cloudEventSubject('natgateway:default/natgateway-sample')).toBe(
      'default/natgateway-sample',
    );
    expect(cloudEventSubject('networkinterface:team-a/nic.eu-1.example')).toBe(
      'team-a/nic.eu-1.example',
    );
  });

  it('is category/id for the other streams', () => {
    expect(cloudEventSubject('allocation:4f1c')).toBe('allocation/4f1c');
    expect(cloudEventSubject('ippool:default')).toBe('ippool/default');
    expect(cloudEventSubject('dataplane:node-1')).toBe('dataplane/node-1');
    expect(cloudEventSubject('deadletter:allocator')).toBe('deadletter/allocator');
    expect(cloudEventSubject('inbound:networkinterfaces')).toBe('inbound/networkinterfaces');
  });
});

describe('toCloudEvent / fromCloudEvent', () => {
  it('writes every attribute of the contract and reads the event back', () => {
    const event = recorded();
    const ce = toCloudEvent(event, '/natgw/api-gateway');
    expect(ce).toEqual({
      specversion: '1.0',
      id: event.id,
      source: '/natgw/api-gateway',
      type: 'dev.ironcore.natgw.natgateway.updated.v1',
      subject: 'default/natgateway-sample',
      time: '2026-11-26T10:42:00.123Z',
      datacontenttype: 'application/json',
      data: event.data,
      natgwtype: 'NATGatewayUpdated',
      natgwstream: event.streamId,
      natgwversion: 3,
      natgwposition: '42',
      natgwtxid: '901',
      correlationid: 'req-1',
      causationid: 'ev-0',
      actor: 'alice',
    });
    expect(fromCloudEvent(JSON.stringify(ce))).toEqual({
      ...event,
      metadata: { ...event.metadata, source: '/natgw/api-gateway' },
    });
  });

  it('keeps resource names with dots out of the NATS subject', () => {
    const event = recorded({ streamId: 'networkinterface:default/a.b.c' });
    expect(eventSubject('natgw', event.streamId, 'NetworkInterfaceCreated')).toBe(
      'natgw.events.networkinterface.NetworkInterfaceCreated',
    );
    expect(toCloudEvent(event, '/x').subject).toBe('default/a.b.c');
  });
});
