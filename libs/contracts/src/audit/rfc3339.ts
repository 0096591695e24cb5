const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp with a time zone (`2026-11-26T10:42:00Z`,
 * `2026-11-26T11:42:00.5+01:00`), or returns undefined. Dates that do not exist
 * (February 30) are rejected rather than rolled over.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second] = m.map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  // Date keeps milliseconds; finer fractions are cut, which never moves an instant across one.
  const fraction = m[7] ? m[7].slice(0, 4) : '';
  const date = new Date(
    `${m.slice(1, 4).join('-')}T${m.slice(4, 7).join(':')}${fraction}${m[8].toUpperCase()}`,
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}
