/** A watch or a paged list asked for changes that compaction already removed (HTTP 410). */
export class ResourceVersionTooOldError extends Error {
  constructor(
    readonly requested: string,
    readonly compacted: string,
  ) {
    super(`too old resource version: ${requested} (changes up to ${compacted} were compacted)`);
    this.name = 'ResourceVersionTooOldError';
  }
}
