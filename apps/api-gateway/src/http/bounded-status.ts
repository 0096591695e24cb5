import { Status, StatusCause } from '@natgw/contracts';
import { clipText } from './clip-text';

/** The longest `message` an error answer carries, in characters. */
export const MAX_STATUS_MESSAGE_CHARS = 2048;
/** The most `details.causes` an error answer lists; a last cause counts the rest. */
export const MAX_STATUS_CAUSES = 50;
/** The longest `field` or `message` of one cause, in characters. */
export const MAX_CAUSE_TEXT_CHARS = 512;

/**
 * The Status as it is sent: message, causes and each cause's texts cut to their
 * caps. Messages quote what the client sent (names, values, unknown fields), and a
 * 422's message repeats every cause: without caps a 1 MiB body of unknown fields
 * was answered with several megabytes. Now an error answer is at most ~60 KB.
 */
export function boundedStatus(status: Status): Status {
  const out: Status = { ...status };
  if (out.message !== undefined) out.message = clipText(out.message, MAX_STATUS_MESSAGE_CHARS);
  const details = out.details;
  if (details) {
    out.details = { ...details };
    if (details.name !== undefined) out.details.name = clipText(details.name, 256);
    if (details.causes) {
      const causes: StatusCause[] = details.causes.slice(0, MAX_STATUS_CAUSES).map((c) => ({
        ...c,
        field: clipText(c.field, MAX_CAUSE_TEXT_CHARS),
        message: clipText(c.message, MAX_CAUSE_TEXT_CHARS),
      }));
      const more = details.causes.length - MAX_STATUS_CAUSES;
      if (more > 0) {
        causes.push({
          field: '',
          reason: 'FieldValueTooMany',
          message: `${more} more causes not shown (at most ${MAX_STATUS_CAUSES} are listed)`,
        });
      }
      out.details.causes = causes;
    }
  }
  return out;
}
