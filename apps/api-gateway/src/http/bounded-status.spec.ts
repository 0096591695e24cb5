import { failureStatus, fieldError } from '@natgw/contracts';
import {
  boundedStatus,
  MAX_CAUSE_TEXT_CHARS,
  MAX_STATUS_CAUSES,
  MAX_STATUS_MESSAGE_CHARS,
} from './bounded-status';

describe('boundedStatus', () => {
  it('keeps a small Status as it is', () => {
    const s = failureStatus(400, 'BadRequest', 'nope', { causes: [fieldError.unknown('x')] });
    expect(boundedStatus(s)).toEqual(s);
  });

  it('caps the message, the number of causes and the size of each', () => {
    const causes = Array.from({ length: 10_000 }, (_, i) =>
      fieldError.invalid(`spec.${'f'.repeat(1000)}${i}`, 'v'.repeat(10_000), 'bad'),
    );
    const s = failureStatus(422, 'Invalid', 'm'.repeat(1_000_000), { name: 'n', causes });
    const inputSize = JSON.stringify(s).length;
    const out = boundedStatus(s);
    expect(out.message!.length).toBeLessThan(MAX_STATUS_MESSAGE_CHARS + 64);
    expect(out.details!.causes).toHaveLength(MAX_STATUS_CAUSES + 1);
    expect(out.details!.causes![MAX_STATUS_CAUSES]).toMatchObject({
      reason: 'FieldValueTooMany',
      message: expect.stringContaining(`${10_000 - MAX_STATUS_CAUSES} more causes`),
    });
    for (const c of out.details!.causes!) {
      expect(c.field.length).toBeLessThan(MAX_CAUSE_TEXT_CHARS + 64);
      expect(c.message.length).toBeLessThan(MAX_CAUSE_TEXT_CHARS + 64);
    }
    const size = JSON.stringify(out).length;
    expect(size).toBeLessThan(64 * 1024);
    expect(size).toBeLessThan(inputSize / 100);
  });
});
