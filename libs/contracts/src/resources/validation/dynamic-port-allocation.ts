import { StatusCause } from '../k8s-status';
import { fieldError } from './field-errors';

// --- dynamic port allocation (issue 17.4): spec.dynamicPortAllocation ----------------------

/** spec.dynamicPortAllocation, with its defaults applied. */
export interface NATGatewayDynamicPortAllocation {
  enabled: boolean;
  /** Ports every NIC starts with: a power of 2, 1..32768 (GCP: at least 32, default 32). */
  minPortsPerNetworkInterface: number;
  /** The most a NIC grows to: a power of 2, minPortsPerNetworkInterface..32768. */
  maxPortsPerNetworkInterface: number;
  /** A NIC's slot doubles when its measured peak reaches this percentage of it (1..100). */
  growAtPercent: number;
  /** A slot halves after this many seconds without a connection in use (10..86400). */
  shrinkAfterSeconds: number;
}

type Field = Exclude<keyof NATGatewayDynamicPortAllocation, 'enabled'>;

/** GCP's default minimum; natgw's largest slot as the default maximum (GCP: 65536). */
export const DEFAULT_DYNAMIC_PORT_ALLOCATION: Readonly<
  Omit<NATGatewayDynamicPortAllocation, 'enabled'>
> = {
  minPortsPerNetworkInterface: 32,
  maxPortsPerNetworkInterface: 32768,
  growAtPercent: 80,
  shrinkAfterSeconds: 600,
};

/** The integer bounds of each number (inclusive); the two port counts are also powers of 2. */
export const DYNAMIC_PORT_ALLOCATION_BOUNDS: Readonly<Record<Field, { min: number; max: number }>> =
  {
    minPortsPerNetworkInterface: { min: 1, max: 32768 },
    maxPortsPerNetworkInterface: { min: 1, max: 32768 },
    growAtPercent: { min: 1, max: 100 },
    shrinkAfterSeconds: { min: 10, max: 86_400 },
  };

const FIELDS = Object.keys(DYNAMIC_PORT_ALLOCATION_BOUNDS) as Field[];
const KNOWN = new Set<string>(['enabled', ...FIELDS]);
const PORT_FIELDS = new Set<Field>(['minPortsPerNetworkInterface', 'maxPortsPerNetworkInterface']);

/** The value portsPerNetworkInterface takes when it is left out (Ironcore's default). */
const DEFAULTED_PORTS_PER_NETWORK_INTERFACE = 2048;

/**
 * The rules of spec.dynamicPortAllocation (`field`), given the spec that holds it: an object with
 * a boolean `enabled` and optional integers within DYNAMIC_PORT_ALLOCATION_BOUNDS (the port
 * counts powers of 2), no other field, min <= max; and, while enabled, no explicit
 * spec.portsPerNetworkInterface (the two are mutually exclusive). A spec read back carries
 * portsPerNetworkInterface's default 2048, so that value is taken as "not set".
 */
export function dynamicPortAllocationProblems(
  field: string,
  value: unknown,
  holder: object,
): StatusCause[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [fieldError.typeInvalid(field, value, 'object')];
  const entry = value as Record<string, unknown>;
  const causes: StatusCause[] = [];
  for (const key of Object.keys(entry))
    if (!KNOWN.has(key)) causes.push(fieldError.unknown(`${field}.${key}`));
  if (entry.enabled === undefined)
    causes.push(fieldError.required(`${field}.enabled`, 'must specify enabled'));
  else if (typeof entry.enabled !== 'boolean')
    causes.push(fieldError.typeInvalid(`${field}.enabled`, entry.enabled, 'boolean'));
  for (const name of FIELDS) {
    const v = entry[name];
    if (v === undefined) continue;
    const at = `${field}.${name}`;
    const { min, max } = DYNAMIC_PORT_ALLOCATION_BOUNDS[name];
    if (typeof v !== 'number' || !Number.isInteger(v))
      causes.push(fieldError.typeInvalid(at, v, 'integer'));
    else if (v < min || v > max)
      causes.push(fieldError.invalid(at, v, `must be between ${min} and ${max}`));
    else if (PORT_FIELDS.has(name) && (v & (v - 1)) !== 0)
      causes.push(fieldError.invalid(at, v, `${v} is not a power of 2`));
  }
  if (causes.length > 0) return causes;
  const config = dynamicPortAllocationFrom(entry);
  if (config.minPortsPerNetworkInterface > config.maxPortsPerNetworkInterface)
    causes.push(
      fieldError.invalid(
        `${field}.minPortsPerNetworkInterface`,
        config.minPortsPerNetworkInterface,
        `must not exceed maxPortsPerNetworkInterface (${config.maxPortsPerNetworkInterface})`,
      ),
    );
  const ppni = (holder as { portsPerNetworkInterface?: unknown }).portsPerNetworkInterface;
  if (config.enabled && ppni !== undefined && ppni !== DEFAULTED_PORTS_PER_NETWORK_INTERFACE)
    causes.push(
      fieldError.forbidden(
        field.replace(/dynamicPortAllocation$/, 'portsPerNetworkInterface'),
        `must not be set while ${field}.enabled is true: a fixed slot size and dynamic port allocation are mutually exclusive (use ${field}.minPortsPerNetworkInterface and maxPortsPerNetworkInterface)`,
      ),
    );
  return causes;
}

/** spec.dynamicPortAllocation with defaults (the input passed dynamicPortAllocationProblems). */
export function dynamicPortAllocationFrom(value: unknown): NATGatewayDynamicPortAllocation {
  const entry = value as Partial<NATGatewayDynamicPortAllocation>;
  return {
    enabled: entry.enabled === true,
    minPortsPerNetworkInterface:
      entry.minPortsPerNetworkInterface ??
      DEFAULT_DYNAMIC_PORT_ALLOCATION.minPortsPerNetworkInterface,
    maxPortsPerNetworkInterface:
      entry.maxPortsPerNetworkInterface ??
      DEFAULT_DYNAMIC_PORT_ALLOCATION.maxPortsPerNetworkInterface,
    growAtPercent: entry.growAtPercent ?? DEFAULT_DYNAMIC_PORT_ALLOCATION.growAtPercent,
    shrinkAfterSeconds:
      entry.shrinkAfterSeconds ?? DEFAULT_DYNAMIC_PORT_ALLOCATION.shrinkAfterSeconds,
  };
}
// --- end dynamic port allocation -------------------------------------------------------------
