/** Base class of every error a dataplane backend throws. */
export class DataplaneError extends Error {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The dataplane refused a change (for nftables: `nft -f` failed; the transaction was rolled back). */
export class DataplaneApplyError extends DataplaneError {
  constructor(
    backend: string,
    readonly target: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      backend,
      `${backend}: applying ${target} failed (exit ${exitCode ?? 'signal'}): ${firstLines(stderr)}`,
    );
  }
}

/** Reading the dataplane's state back failed, or it could not be understood. */
export class DataplaneReadError extends DataplaneError {
  constructor(
    backend: string,
    readonly target: string,
    readonly detail: string,
  ) {
    super(backend, `${backend}: reading ${target} failed: ${firstLines(detail)}`);
  }
}

/** A tool the backend needs is missing or cannot run; says what to install. */
export class DataplaneUnavailableError extends DataplaneError {}

function firstLines(text: string): string {
  const lines = text.trim().split('\n');
  const head = lines.slice(0, 6).join('\n');
  return lines.length > 6 ? `${head}\n... (${lines.length - 6} more lines)` : head || '(no output)';
}
