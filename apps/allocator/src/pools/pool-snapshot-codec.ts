import { IpPoolState, parsePrefix } from '@natgw/domain';
import { read, SnapshotCodec, SnapshotFormatError } from '../state/snapshot-codec';

/**
 * An `ippool:*` stream's state in a snapshot (layout 1): the prefixes by cidr, the claims
 * and the scan starts as `[key, value]` pairs in the state's order (scan starts as decimal
 * strings: they are 128-bit for IPv6).
 */
export const POOL_SNAPSHOT_CODEC: SnapshotCodec<IpPoolState> = {
  schemaVersion: 1,
  encode: (state) => ({
    prefixes: state.prefixes.map((p) => p.cidr),
    claims: [...state.claims],
    scanFrom: [...state.scanFrom].map(([cidr, from]) => [cidr, from.toString()]),
  }),
  decode(json) {
    const o = read.object(json, 'pool');
    const prefixes = read.array(o.prefixes, 'prefixes').map((p, i) => {
      const cidr = read.string(p, `prefixes[${i}]`);
      let prefix;
      try {
        prefix = parsePrefix(cidr);
      } catch (err) {
        throw new SnapshotFormatError(`prefixes[${i}]: ${(err as Error).message}`);
      }
      if (prefix.cidr !== cidr) throw new SnapshotFormatError(`prefixes[${i}] is not canonical`);
      return prefix;
    });
    const claims = read.entries(o.claims, 'claims', read.string);
    const scanFrom = read.entries(o.scanFrom, 'scanFrom', (v, field) => {
      const text = read.string(v, field);
      if (!/^(0|[1-9][0-9]{0,38})$/.test(text))
        throw new SnapshotFormatError(`${field} must be a decimal address`);
      return BigInt(text);
    });
    return { prefixes, claims, scanFrom };
  },
};
