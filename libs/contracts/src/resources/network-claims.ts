/**
 * Claims that make a value unique among live objects, event-sourced like names are: every value
 * has its own stream, and a claim appends to it expecting "no stream" or the version of its last
 * release, in the same transaction as the event of the object that takes it. Of two writers that
 * want one value, exactly one wins (the other gets a ConcurrencyError on the claim stream).
 *
 * - `vni:<vni>`: the Network that holds a VNI (`NetworkVNIClaimed` / `NetworkVNIReleased`).
 * - `networkaddress:<namespace>/<network>/<canonical ip>`: the NetworkInterface that holds a
 *   private address inside one network (`NetworkInterfaceAddressClaimed` / `...Released`). A
 *   network is named, not identified by uid, because a NIC may reference a Network that does not
 *   exist yet; while a Network lives its name identifies it (it cannot be deleted while any NIC,
 *   even one being deleted, references it).
 */

/** A Network took a VNI: appended with `NetworkCreated` (or, for a Network older than VNIs, by the allocator). */
export const NETWORK_VNI_CLAIMED = 'NetworkVNIClaimed';
/** A Network gave its VNI back: appended with `NetworkDeleted`. */
export const NETWORK_VNI_RELEASED = 'NetworkVNIReleased';
/** A NetworkInterface took a private address in its network: appended with its create or update. */
export const NETWORK_INTERFACE_ADDRESS_CLAIMED = 'NetworkInterfaceAddressClaimed';
/** A NetworkInterface gave a private address back: with the update that drops it, or its `NetworkInterfaceDeleted`. */
export const NETWORK_INTERFACE_ADDRESS_RELEASED = 'NetworkInterfaceAddressReleased';

/** Data of `NetworkVNIClaimed` and `NetworkVNIReleased`. */
export interface NetworkVniClaimData {
  vni: number;
  networkUid: string;
  namespace: string;
  name: string;
}

/** Data of `NetworkInterfaceAddressClaimed` and `NetworkInterfaceAddressReleased`. */
export interface NetworkInterfaceAddressClaimData {
  namespace: string;
  /** The network's name (spec.networkRef.name of the NIC). */
  network: string;
  /** The canonical private address (IPv6 in RFC 5952 form). */
  ip: string;
  nicUid: string;
  nicName: string;
}

/** The claim stream of one VNI. */
export function vniStreamId(vni: number): string {
  return `vni:${vni}`;
}

/** The claim stream of one private address (canonical) in one network. */
export function networkAddressStreamId(namespace: string, network: string, ip: string): string {
  return `networkaddress:${namespace}/${network}/${ip}`;
}

/** True for the stream of any claim (VNI or address). */
export function isClaimStreamId(streamId: string): boolean {
  return streamId.startsWith('vni:') || streamId.startsWith('networkaddress:');
}
