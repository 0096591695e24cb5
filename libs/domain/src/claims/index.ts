// Values unique among live objects, claimed in streams of their own: VNIs, private addresses.
export {
  claimStatus,
  decideClaim,
  decideRelease,
  type ClaimDecision,
  type ClaimStatus,
  type ClaimStreamHead,
} from './unique-claim';
export { addressChanges, type AddressChanges, type WantedAddress } from './network-addresses';
