import type { ComponentChildren } from 'preact';

/** An error (role alert: read out at once) or a quiet status line. */
export function Notice({ error, children }: { error?: string; children?: ComponentChildren }) {
  if (error) {
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  }
  return children ? (
    <p class="muted" role="status">
      {children}
    </p>
  ) : null;
}
