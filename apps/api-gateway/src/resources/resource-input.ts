import {
  API_VERSION,
  API_VERSION_NAME,
  DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY,
  fieldError,
  publicIpCapCauses,
  ResourceInput,
  validateDnsName,
  validateResourceInput,
} from '@natgw/contracts';
import { ApiError, apiErrors } from '../http/api-error';
import { warningHeader } from './api-response';
import { RequestContext } from './request-context';

/** A validated body, and the warnings to send back (unknown fields under fieldValidation=Warn). */
export interface CheckedInput {
  input: ResourceInput;
  warnings: string[];
}

/**
 * Turns a create or update body into a validated input, or throws the right
 * Status: 400 for a body of another kind, namespace or name, or (Strict) unknown
 * fields; 422 Invalid listing every broken field.
 */
export function checkResourceInput(
  ctx: RequestContext,
  body: Record<string, unknown>,
  urlName?: string,
): CheckedInput {
  const { info } = ctx;
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw apiErrors.badRequest(
      `the kind of the object (${JSON.stringify(body.kind)}) does not match the kind of the URL ("${info.kind}")`,
    );
  }
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) {
    throw apiErrors.badRequest(
      `the apiVersion of the object (${JSON.stringify(body.apiVersion)}) does not match the one of the URL ("${API_VERSION}")`,
    );
  }
  const outcome = validateResourceInput(info.kind, body);
  const warnings: string[] = [];
  if (outcome.unknownFields.length > 0) {
    const unknown = outcome.unknownFields.map((f) => `unknown field "${f}"`);
    if (ctx.fieldValidation === 'Strict') {
      throw apiErrors.badRequest(
        `${info.kind} in version "${API_VERSION_NAME}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.join(', ')}`,
        outcome.unknownFields.map((f) => fieldError.unknown(f)),
      );
    }
    if (ctx.fieldValidation === 'Warn') warnings.push(...unknown);
  }
  const causes = [
    ...outcome.causes,
    ...validateDnsName('metadata.namespace', ctx.namespace, 'label'),
    ...(info.kind === 'NATGatewayAutoscaler'
      ? publicIpCapCauses(
          body.spec,
          ctx.maxPublicIPsPerGateway ?? DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY,
        )
      : []),
  ];
  const meta = body.metadata as { name?: unknown } | undefined;
  const name = typeof meta?.name === 'string' ? meta.name : (urlName ?? '');
  if (causes.length > 0 || !outcome.input) {
    // The warnings still reach the client, as the API server's do: a misspelled field
    // under Warn is often why a required one is missing.
    const error = apiErrors.invalid(info, name, causes);
    return throwWithWarnings(error, warnings);
  }
  const input = outcome.input;
  if (input.namespace !== undefined && input.namespace !== ctx.namespace) {
    throw apiErrors.badRequest(
      `the namespace of the provided object ("${input.namespace}") does not match the namespace sent on the request ("${ctx.namespace}")`,
    );
  }
  if (urlName !== undefined && input.name !== urlName) {
    throw apiErrors.badRequest(
      `the name of the object ("${input.name}") does not match the name on the URL ("${urlName}")`,
    );
  }
  return { input, warnings };
}

function throwWithWarnings(error: ApiError, warnings: string[]): never {
  if (warnings.length === 0) throw error;
  throw new ApiError(error.status, { ...error.headers, Warning: warningHeader(warnings) });
}
