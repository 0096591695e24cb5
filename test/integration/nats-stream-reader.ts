// Test helper: reads a whole JetStream stream back, in stream order.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  text: string;
  /** The parsed CloudEvent, or undefined when the body is not a JSON object. */
  cloudEvent: Record<string, unknown> | undefined;
}

/** Every message currently in the stream, in stream sequence order. */
export async function readWholeStream(
  jsm: JetStreamManager,
  js: JetStreamClient,
  stream: string,
): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream);
  const want = info.state.messages;
  const out: StoredMessage[] = [];
  if (want === 0) return out;
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    const text = m.string();
    let cloudEvent: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        cloudEvent = parsed as Record<string, unknown>;
      }
    } catch {
      cloudEvent = undefined;
    }
    out.push({
      seq: m.seq,
      subject: m.subject,
      msgId: m.headers?.get('Nats-Msg-Id'),
      text,
      cloudEvent,
    });
    if (m.seq >= info.state.last_seq) break;
  }
  await messages.close();
  return out;
}
