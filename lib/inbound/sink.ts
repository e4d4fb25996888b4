import { ctliveEventSchema } from './eventSchemas';
import type { TaggedLogger } from '../platform/log';
import { startFunction } from '../platform/runtime';

/**
 * Local stand-in for ctlive's receiving function, for `CTLIVE_TARGET=lambda:...` on one
 * machine: it prints each event it is invoked with, and says so loudly when an event does
 * not have the CONTRACT section 6 shape (lib/inbound/eventSchemas.ts, the source of
 * docs/ctlive-events.schema.json), so the local stack catches a broken forwarder.
 * Never deployed (see docs/local-stack.md, "Inbound messages and reports").
 */

const sinkLine = (event: unknown) => `ctlive received ${JSON.stringify(event)}`;

export function makeCtliveSinkHandler(log: TaggedLogger) {
  return async (event: unknown): Promise<void> => {
    const parsed = ctliveEventSchema.safeParse(event);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'} ${i.message}`).join('; ');
      log.error(`Not a ctlive event: ${JSON.stringify(event)}`, { reason });
      return;
    }
    log.info(sinkLine(event), { messageId: parsed.data.messageId });
  };
}

/** Production wiring of the local stack's ctliveSink function. */
export const startCtliveSink = () => startFunction('ctliveSink', ({ log }) => makeCtliveSinkHandler(log));
