import { createDedupe } from '../../../lib/inbound/dedupe';
import { createForwarder } from '../../../lib/inbound/forwarder';
import { createLogger } from '../../../lib/platform/log';
import { createRedis } from '../../../lib/platform/redis';
import { makeOnMessageHandler, type InboundMediaStep } from '../../../lib/inbound/webhook';
import { webhookAuthHeaders } from '../../../tools/infobipSandbox';
import { webhookAuthOf, type LocalStack } from '../../../tools/stack';
import { apiEvent, lambdaContext } from '../../support/lambda';
import type { PostWebhook } from './infobipRetry';

/**
 * onMessage as several warm Lambda containers in this process: each its own Redis client
 * and forwarder, wired as in production, on the local stack's Redis (through its Upstash
 * proxy) and its ctlive sink. Faster than serverless-offline, and the same code.
 */
export interface InProcessWebhooks {
  post: PostWebhook;
  /** WARN and ERROR lines, parsed: what the containers said went wrong. */
  problems: Array<{ level: string; message: string }>;
}

/** A forwarder to the local stack's ctlive sink, as each container has its own. */
export const sinkForwarderOf = (stack: LocalStack) =>
  createForwarder({ kind: 'http', url: stack.sink.url, token: stack.env.CTLIVE_TARGET_TOKEN, timeoutMs: 5_000 });

/** `inboundMedia`: onMessage's step for customers' files, when the run copies them. */
export function inProcessOnMessage(stack: LocalStack, containers: number, inboundMedia?: InboundMediaStep): InProcessWebhooks {
  const auth = webhookAuthOf(stack.env);
  const headers = webhookAuthHeaders(auth);
  const problems: InProcessWebhooks['problems'] = [];
  const sink = (line: string) => {
    const { level, message } = JSON.parse(line) as { level: string; message: string };
    problems.push({ level, message });
  };
  const handlers = Array.from({ length: containers }, () =>
    makeOnMessageHandler({
      log: createLogger('onMessage', { format: 'json', level: 'WARN', sink }),
      auth,
      dedupe: createDedupe(createRedis({ url: stack.proxy.url, token: stack.proxy.token })),
      forwarder: sinkForwarderOf(stack),
      inboundMedia,
    }),
  );
  let next = 0;
  return {
    problems,
    async post(body) {
      const handler = handlers[next++ % handlers.length] as (typeof handlers)[number];
      const event = apiEvent({ method: 'POST', path: '/imchannel/onMessage', body, rawBody: true, headers });
      const res = await handler(event, lambdaContext('onMessage'));
      return { status: res.statusCode ?? 200, body: String(res.body ?? '') };
    },
  };
}
