/**
 * `npm run simulate -- reply <messageId> <button or row id>`: the inbound reply a customer's
 * tap on an interactive message produces, for a message the running sandbox took. simulate
 * runs as a process of its own, so it asks the sandbox through its local-only helpers
 * (tools/infobipSandbox/whatsapp/local.ts): `GET /sandbox/messages/{messageId}` for the
 * message's buttons or rows, `POST /sandbox/inbound/{messageId}` so that mark-as-read then
 * accepts the reply's id.
 */
import { interactiveReplyPayload, type TappedChoice } from './infobipSandbox';

export const DEFAULT_SANDBOX_URL = 'http://127.0.0.1:8078';

interface SandboxMessage {
  messageId: string;
  kind: string;
  from: string;
  to: string;
  choices: TappedChoice[];
}

/** A mistake of the caller's: the message or the choice is not what they think. */
export class ReplyError extends Error {}

async function sandboxMessage(sandboxUrl: string, messageId: string): Promise<SandboxMessage> {
  const res = await fetch(`${sandboxUrl}/sandbox/messages/${encodeURIComponent(messageId)}`);
  if (res.status === 404) {
    throw new ReplyError(
      `The sandbox at ${sandboxUrl} took no WhatsApp API message ${messageId} ` +
        '(only messages sent through /whatsapp/1/message/interactive/… since it started can be replied to).',
    );
  }
  if (!res.ok) throw new Error(`GET /sandbox/messages/${messageId} answered ${res.status}`);
  return (await res.json()) as SandboxMessage;
}

/** The webhook body of the tap, and the id of the inbound message it is. */
export async function buildReply(
  sandboxUrl: string,
  messageId: string,
  choiceId: string,
  inboundId: string,
): Promise<{ body: unknown; inboundId: string }> {
  const message = await sandboxMessage(sandboxUrl, messageId);
  const kind = message.kind === 'interactive buttons' ? 'buttons' : message.kind === 'interactive list' ? 'list' : undefined;
  if (kind === undefined) {
    throw new ReplyError(`Message ${messageId} is a ${message.kind} message: it has no buttons or rows to tap.`);
  }
  const choice = message.choices.find((c) => c.id === choiceId);
  if (choice === undefined) {
    const what = kind === 'buttons' ? 'buttons' : 'rows';
    throw new ReplyError(
      `"${choiceId}" is not one of message ${messageId}'s ${what}; its ids are: ${message.choices.map((c) => c.id).join(', ')}`,
    );
  }
  const body = interactiveReplyPayload({
    kind,
    choice,
    repliedTo: { messageId: message.messageId, from: message.from },
    from: message.to,
    messageId: inboundId,
  });
  return { body, inboundId };
}

/** Tells the sandbox the customer sent `inboundId`, so mark-as-read accepts it. */
export async function rememberInbound(sandboxUrl: string, inboundId: string): Promise<void> {
  const res = await fetch(`${sandboxUrl}/sandbox/inbound/${encodeURIComponent(inboundId)}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`POST /sandbox/inbound/${inboundId} answered ${res.status}`);
}
