export * from './dataplane-backend';
export * from './dataplane-errors';
export * from './create-dataplane-backend';
export { MemoryBackend, type MemoryBackendOptions } from './memory/memory-backend';
export {
  NftablesBackend,
  NftablesConfigError,
  type NftablesBackendOptions,
} from './nftables/nftables-backend';
export {
  type NftResult,
  type NftRunner,
  type ProcessNftRunnerOptions,
  processNftRunner,
} from './nftables/nft-runner';
export {
  UNEXPECTED_CONTENT_NIC_UID,
  UNLABELLED_NIC_PREFIX,
  type NatTableInspection,
  type NatTableProblem,
} from './nftables/parse-nat-ruleset';
