import type { DataplaneBackend } from './dataplane-backend';
import { MemoryBackend, type MemoryBackendOptions } from './memory/memory-backend';
import { NftablesBackend, type NftablesBackendOptions } from './nftables/nftables-backend';

/** Which backend to build, from DATAPLANE_BACKEND and its variables. */
export type DataplaneBackendSettings =
  | ({ readonly backend: 'memory' } & MemoryBackendOptions)
  | ({ readonly backend: 'nftables' } & NftablesBackendOptions);

/** Splits DATAPLANE_UPLINK (`eth0,eth1`) into interface names. */
export function parseUplinks(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Builds the configured backend; throws NftablesConfigError for a bad nftables setting. */
export function createDataplaneBackend(settings: DataplaneBackendSettings): DataplaneBackend {
  switch (settings.backend) {
    case 'memory':
      return new MemoryBackend(settings);
    case 'nftables':
      return new NftablesBackend(settings);
    default: {
      const unknown: never = settings;
      throw new Error(`unknown dataplane backend ${JSON.stringify(unknown)}`);
    }
  }
}
