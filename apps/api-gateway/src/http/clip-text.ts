/** `text` cut to at most `max` characters (plus a note of how many were cut). */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length - max} more characters)`;
}
