import { Expose, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { BaseConfig } from '@natgw/platform';

/** The largest VNI (24 bits): the longest expansion of DATAPLANE_NETWORK_INTERFACE. */
const MAX_VNI = 16_777_215;

/** What Linux accepts as an interface name (IFNAMSIZ - 1 = 15), narrowed to portable characters. */
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/**
 * Why a DATAPLANE_NETWORK_INTERFACE template is unusable, or undefined when it is fine: it
 * must name `{vni}`, and every expansion up to VNI 16777215 must be a valid interface name.
 */
export function networkInterfaceTemplateProblem(template: string): string | undefined {
  if (!template.includes('{vni}')) return 'must contain {vni} (for example vni{vni} or vxlan{vni})';
  const longest = template.split('{vni}').join(String(MAX_VNI));
  if (longest.length > 15)
    return `must expand to at most 15 characters, but VNI ${MAX_VNI} gives "${longest}" (${longest.length})`;
  if (!IFNAME.test(longest))
    return `must expand to an interface name of letters, digits, "_", ".", "@" and "-", but VNI ${MAX_VNI} gives "${longest}"`;
  return undefined;
}

@ValidatorConstraint({ name: 'networkInterfaceTemplate' })
class NetworkInterfaceTemplateConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && networkInterfaceTemplateProblem(value) === undefined;
  }

  defaultMessage(args?: { value?: unknown }): string {
    const value = args?.value;
    const problem =
      typeof value === 'string' ? networkInterfaceTemplateProblem(value) : 'must be a string';
    return `DATAPLANE_NETWORK_INTERFACE ${problem}`;
  }
}

/** Configuration of the dataplane-executor service (one per node). */
export class ExecutorConfig extends BaseConfig {
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'EXECUTOR_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'EXECUTOR_PORT must be between 1 and 65535' })
  @IsInt({ message: 'EXECUTOR_PORT must be an integer' })
  EXECUTOR_PORT = 8082;

  @Expose()
  EXECUTOR_HOST = '127.0.0.1';

  /** The node this executor programs; unset means single-node mode (every NIC). */
  @Expose()
  @IsOptional()
  @Matches(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, {
    message: 'NODE_NAME must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")',
  })
  NODE_NAME?: string;

  @Expose()
  @IsIn(['memory', 'nftables'], { message: 'DATAPLANE_BACKEND must be one of memory, nftables' })
  DATAPLANE_BACKEND = 'memory';

  @Expose()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'DATAPLANE_NETNS must be a network namespace name',
  })
  DATAPLANE_NETNS?: string;

  @Expose()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.@-]{1,15}(,[A-Za-z0-9_.@-]{1,15})*$/, {
    message: 'DATAPLANE_UPLINK must be one or more comma-separated interface names',
  })
  DATAPLANE_UPLINK?: string;

  /**
   * Network mode: the interface on which a network's NIC traffic arrives in DATAPLANE_NETNS,
   * as a template with `{vni}` (e.g. `vni{vni}`). Unset: one shared address space (the NAT
   * rules carry no VNI, and two NICs with one private address on a node clash).
   */
  @Expose()
  @IsOptional()
  @Validate(NetworkInterfaceTemplateConstraint)
  DATAPLANE_NETWORK_INTERFACE?: string;

  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'RECONCILE_INTERVAL_SECONDS must be at least 1' })
  @Max(86400, { message: 'RECONCILE_INTERVAL_SECONDS must be at most 86400' })
  @IsInt({ message: 'RECONCILE_INTERVAL_SECONDS must be an integer' })
  RECONCILE_INTERVAL_SECONDS = 10;

  /**
   * How often a pass reads the dataplane back (and the node's table from the log) even when
   * nothing says either changed. Between, a pass costs almost nothing: the nftables backend
   * watches the ruleset for other processes' transactions (`nft monitor`) and reads back as soon
   * as one is seen.
   */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'DATAPLANE_VERIFY_SECONDS must be at least 1' })
  @Max(86400, { message: 'DATAPLANE_VERIFY_SECONDS must be at most 86400' })
  @IsInt({ message: 'DATAPLANE_VERIFY_SECONDS must be an integer' })
  DATAPLANE_VERIFY_SECONDS = 300;

  // --- port usage (issue 17.3) ---
  /**
   * How often the executor counts the node's conntrack entries per NIC slot (nftables backend);
   * 0 turns port-usage measurement off.
   */
  @Expose()
  @Type(() => Number)
  @Min(0, { message: 'PORT_USAGE_INTERVAL_SECONDS must be between 0 (off) and 3600' })
  @Max(3600, { message: 'PORT_USAGE_INTERVAL_SECONDS must be between 0 (off) and 3600' })
  @IsInt({ message: 'PORT_USAGE_INTERVAL_SECONDS must be an integer' })
  PORT_USAGE_INTERVAL_SECONDS = 30;

  /** At most one NATPortUsageReported per node this often, and only when a slot's usage changed. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'PORT_USAGE_REPORT_SECONDS must be between 1 and 86400' })
  @Max(86400, { message: 'PORT_USAGE_REPORT_SECONDS must be between 1 and 86400' })
  @IsInt({ message: 'PORT_USAGE_REPORT_SECONDS must be an integer' })
  PORT_USAGE_REPORT_SECONDS = 30;

  /** The window of a slot's `peak`: the highest usage counted in the last this many seconds. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'PORT_USAGE_PEAK_WINDOW_SECONDS must be between 1 and 86400' })
  @Max(86400, { message: 'PORT_USAGE_PEAK_WINDOW_SECONDS must be between 1 and 86400' })
  @IsInt({ message: 'PORT_USAGE_PEAK_WINDOW_SECONDS must be an integer' })
  PORT_USAGE_PEAK_WINDOW_SECONDS = 900;
  // --- end port usage ---

  // --- translation logs (issue 17.5) ---
  /**
   * Translation records each gateway may publish from this node per second (a token bucket that
   * holds one second's worth); the rest are dropped and counted in
   * natgw_translation_logs_dropped_total{reason="rate_limit"}.
   */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'TRANSLATION_LOG_RATE_PER_SECOND must be between 1 and 100000' })
  @Max(100000, { message: 'TRANSLATION_LOG_RATE_PER_SECOND must be between 1 and 100000' })
  @IsInt({ message: 'TRANSLATION_LOG_RATE_PER_SECOND must be an integer' })
  TRANSLATION_LOG_RATE_PER_SECOND = 100;
  // --- end translation logs ---
}
