/**
 * The longest label or field selector accepted, in characters. Both parsers run in
 * time linear in their input; the cap bounds what one selector may cost when it is
 * matched against every object of a list or watch. Node's 16 KiB limit on the
 * request line and headers is the outer bound; 4096 characters hold ~100 `key in
 * (values)` requirements, far more than any real client sends.
 */
export const MAX_SELECTOR_LENGTH = 4096;
