import { EntityManager } from 'typeorm';
import {
  EventMetadata,
  NETWORK_INTERFACE_ADDRESS_CLAIMED,
  NETWORK_INTERFACE_ADDRESS_RELEASED,
  NETWORK_VNI_CLAIMED,
  NETWORK_VNI_RELEASED,
  NetworkInterfaceAddressClaimData,
  networkAddressStreamId,
  NetworkVniClaimData,
  vniStreamId,
} from '@natgw/contracts';
import { claimStatus, ClaimStatus, decideRelease } from '@natgw/domain';
import { PostgresEventStore, StreamAppend } from '@natgw/event-store';

/** Who holds a claimed value now, with the data of the claim that took it. */
export interface ClaimHolder<D> {
  status: ClaimStatus;
  /** The data of the stream's last event (the claim, while held). */
  data?: D;
}

/** A NIC as its address claims need it. */
export interface NicAddresses {
  uid: string;
  namespace: string;
  name: string;
  /** spec.networkRef.name */
  network: string;
  /** spec.ips (valid addresses, any spelling). */
  ips: readonly string[];
}

/** A Network as its VNI claim needs it. */
export interface NetworkVni {
  uid: string;
  namespace: string;
  name: string;
  vni: number;
}

/** Claim appends in lock order: sorted by stream id (after the object's own stream, see appendToStreams). */
export function inLockOrder(appends: readonly StreamAppend[]): StreamAppend[] {
  return [...appends].sort((a, b) =>
    a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
  );
}

/**
 * Reads and writes the claim streams of VNIs (`vni:<n>`) and of private addresses in a network
 * (`networkaddress:<ns>/<network>/<ip>`), see network-claims in @natgw/contracts. The decisions
 * are @natgw/domain's claim rules; this only reads the streams' heads and builds the appends,
 * which the caller appends in the same transaction as the object's own event.
 */
export class ClaimStreams {
  constructor(private readonly store: PostgresEventStore) {}

  /** The holder of a VNI. */
  vniHolder(vni: number, manager?: EntityManager): Promise<ClaimHolder<NetworkVniClaimData>> {
    return this.holder(vniStreamId(vni), NETWORK_VNI_CLAIMED, NETWORK_VNI_RELEASED, manager, (d) =>
      String((d as NetworkVniClaimData).networkUid),
    );
  }

  /** The holder of a (canonical) private address in a network. */
  addressHolder(
    namespace: string,
    network: string,
    ip: string,
    manager?: EntityManager,
  ): Promise<ClaimHolder<NetworkInterfaceAddressClaimData>> {
    return this.holder(
      networkAddressStreamId(namespace, network, ip),
      NETWORK_INTERFACE_ADDRESS_CLAIMED,
      NETWORK_INTERFACE_ADDRESS_RELEASED,
      manager,
      (d) => String((d as NetworkInterfaceAddressClaimData).nicUid),
    );
  }

  /** The append that claims a free VNI for a network. */
  claimVni(
    network: NetworkVni,
    expectedVersion: number | 'no-stream',
    metadata: EventMetadata,
  ): StreamAppend {
    return {
      streamId: vniStreamId(network.vni),
      events: [{ type: NETWORK_VNI_CLAIMED, data: vniData(network), metadata }],
      expectedVersion,
    };
  }

  /** The append that releases a network's VNI, when the network holds it. */
  async releaseVni(
    network: NetworkVni,
    metadata: EventMetadata,
    manager?: EntityManager,
  ): Promise<StreamAppend | undefined> {
    const expected = decideRelease(
      (await this.vniHolder(network.vni, manager)).status,
      network.uid,
    );
    if (expected === undefined) return undefined;
    return {
      streamId: vniStreamId(network.vni),
      events: [{ type: NETWORK_VNI_RELEASED, data: vniData(network), metadata }],
      expectedVersion: expected,
    };
  }

  /** The append that claims a free (canonical) address for a NIC. */
  claimAddress(
    nic: NicAddresses,
    ip: string,
    expectedVersion: number | 'no-stream',
    metadata: EventMetadata,
  ): StreamAppend {
    return {
      streamId: networkAddressStreamId(nic.namespace, nic.network, ip),
      events: [{ type: NETWORK_INTERFACE_ADDRESS_CLAIMED, data: addressData(nic, ip), metadata }],
      expectedVersion,
    };
  }

  /**
   * The appends that release the given (canonical) addresses, of those the NIC holds (a NIC
   * older than address claims holds none). For the final delete: every address of `nic.ips`.
   */
  async releaseAddresses(
    nic: NicAddresses,
    ips: readonly string[],
    metadata: EventMetadata,
    manager?: EntityManager,
  ): Promise<StreamAppend[]> {
    const appends: StreamAppend[] = [];
    for (const ip of ips) {
      const holder = await this.addressHolder(nic.namespace, nic.network, ip, manager);
      const expected = decideRelease(holder.status, nic.uid);
      if (expected === undefined) continue;
      appends.push({
        streamId: networkAddressStreamId(nic.namespace, nic.network, ip),
        events: [
          { type: NETWORK_INTERFACE_ADDRESS_RELEASED, data: addressData(nic, ip), metadata },
        ],
        expectedVersion: expected,
      });
    }
    return appends;
  }

  private async holder<D>(
    streamId: string,
    claimed: string,
    released: string,
    manager: EntityManager | undefined,
    holderUid: (data: unknown) => string,
  ): Promise<ClaimHolder<D>> {
    const version = await this.store.streamVersion(streamId, manager);
    if (version === 0) return { status: claimStatus(undefined) };
    const [last] = await this.store.readStream(streamId, {
      fromVersion: version,
      toVersion: version,
      manager,
    });
    if (!last || (last.type !== claimed && last.type !== released)) {
      throw new Error(`claim stream ${streamId} ends with an unexpected event ${last?.type}`);
    }
    return {
      status: claimStatus({
        kind: last.type === claimed ? 'claimed' : 'released',
        holderUid: holderUid(last.data),
        version,
      }),
      data: last.data as D,
    };
  }
}

function vniData(network: NetworkVni): NetworkVniClaimData {
  return {
    vni: network.vni,
    networkUid: network.uid,
    namespace: network.namespace,
    name: network.name,
  };
}

function addressData(nic: NicAddresses, ip: string): NetworkInterfaceAddressClaimData {
  return { namespace: nic.namespace, network: nic.network, ip, nicUid: nic.uid, nicName: nic.name };
}
