/**
 * `npm run simulate -- <what>`: plays Infobip against the running local stack's webhooks,
 * signed with the webhook auth from the environment, as Infobip's webhook settings would.
 *
 *   npm run simulate -- inbound "Oh well"          a customer's text
 *   npm run simulate -- inbound --type IMAGE       any message type, known or not
 *   npm run simulate -- inbound --file photo.jpg   a customer's file (any file), caption optional:
 *                                                  inbound --file offer.pdf "The offer"
 *   npm run simulate -- seen <messageId>           a seen report for an outbound message
 *   npm run simulate -- delivery <messageId>       a delivery report (--failed for an error)
 *   npm run simulate -- reply <messageId> <id>     the customer taps button or row <id> of an
 *                                                  interactive message the sandbox took
 *
 * Infobip sends one delivery report per message, and IMChannel forwards a messageId's
 * report once: after a real send the sandbox has already reported it, so a simulated one
 * for that id is answered as a duplicate (said so below). Start the stack with
 * SANDBOX_DELIVERY_REPORTS=off to have simulate send the only report of a real send.
 *
 * Options: --from, --to, --name, --message-id, --callback-data, --url (default
 * IMCHANNEL_PUBLIC_URL, else http://127.0.0.1:3000/imchannel), --times N (post it N times),
 * --sandbox (the Infobip sandbox, default http://127.0.0.1:$SANDBOX_PORT, port 8078). Each
 * inbound message and reply is also told to the sandbox, so mark-as-read accepts its id.
 *
 * --file hands the file to the sandbox (POST /sandbox/inboundMedia), which then serves it at
 * Infobip's inbound media path with its API key, as Infobip serves what customers send
 * (--via redirect: through a 302 to the sandbox's CDN). The message type comes from the
 * file's leading bytes, else its extension (jpg, png: IMAGE; mp4: VIDEO; ogg, mp3, aac, amr,
 * m4a: AUDIO; webp: STICKER; anything else: DOCUMENT), unless --type says otherwise. It
 * prints the file's size, type and sha256, to compare with what ctlive receives. A DOCUMENT
 * carries no file name: Infobip's inbound document content has none.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readWebhookAuthConfig } from '../lib/platform/config';
import { localCredentials } from './localCredentials';
import { buildReply, DEFAULT_SANDBOX_URL, rememberInbound, ReplyError } from './simulateReply';
import { registerInboundFile } from './simulateFile';
import {
  deliveryResult,
  DELIVERED,
  ERROR,
  inboundMessagePayload,
  postWebhook,
  seenReportPayload,
  undelivered,
} from './infobipSandbox';

const DEFAULT_BASE_URL = 'http://127.0.0.1:3000/imchannel';

const USAGE = `usage: npm run simulate -- inbound [text] [--type TYPE] [--file PATH [--via redirect]]
       npm run simulate -- seen <messageId>
       npm run simulate -- delivery <messageId> [--failed]
       npm run simulate -- reply <messageId> <button or row id>
options: --from --to --name --message-id --callback-data --url --times --sandbox`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    type: { type: 'string' },
    file: { type: 'string' },
    via: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    name: { type: 'string' },
    'message-id': { type: 'string' },
    'callback-data': { type: 'string' },
    failed: { type: 'boolean', default: false },
    url: { type: 'string' },
    sandbox: { type: 'string' },
    times: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/**
 * A final report in the sandbox's own shape. --failed is what Infobip reports for a
 * destination that is not on WhatsApp: UNDELIVERABLE_NOT_DELIVERED with EC_UNKNOWN_USER,
 * a status and an error that tell the same story (tools/infobipSandbox/codes.ts).
 */
function deliveryReport(messageId: string): unknown {
  const doneAt = new Date();
  return {
    results: [
      deliveryResult({
        messageId,
        to: values.to ?? '39123456789',
        callbackData: values['callback-data'],
        sentAt: new Date(doneAt.getTime() - 5_000),
        doneAt,
        outcome: values.failed ? undelivered(ERROR.EC_UNKNOWN_USER) : DELIVERED,
      }),
    ],
  };
}

/** IMChannel's answer `{"forwarded":0,"duplicates":1}`: the id's report was forwarded before. */
function duplicatesIn(answer: string): number {
  try {
    const parsed = JSON.parse(answer) as { duplicates?: unknown };
    return typeof parsed.duplicates === 'number' ? parsed.duplicates : 0;
  } catch {
    return 0;
  }
}

const DEFAULT_BUSINESS_NUMBER = '44123456789';

const newInboundId = () => values['message-id'] ?? `wamid.SIM${randomUUID().replace(/-/g, '').toUpperCase()}`;

/** The webhook to post; `inboundId` for a message the customer sends (the sandbox is told of it). */
async function build(sandboxUrl: string): Promise<{ route: string; body: unknown; inboundId?: string }> {
  const [what, arg, choice] = positionals;
  switch (what) {
    case 'inbound': {
      const inboundId = newInboundId();
      const file = values.file === undefined ? undefined : await inboundFile(sandboxUrl);
      return {
        route: 'onMessage',
        inboundId,
        body: inboundMessagePayload({
          type: values.type?.toUpperCase() ?? file?.type ?? 'TEXT',
          text: arg,
          from: values.from,
          to: values.to,
          contactName: values.name,
          messageId: inboundId,
          ...(file ? { extra: { message: { url: file.url } } } : {}),
        }),
      };
    }
    case 'reply':
      if (!arg || !choice) fail('reply needs the messageId of an interactive message and the id of a button or row');
      return { route: 'onMessage', ...(await buildReply(sandboxUrl, arg, choice, newInboundId())) };
    case 'seen':
      if (!arg) fail('seen needs the messageId of an outbound message');
      return { route: 'onDeliveryReport', body: seenReportPayload({ messageId: arg, from: values.from, to: values.to }) };
    case 'delivery':
      if (!arg) fail('delivery needs the messageId of an outbound message');
      return { route: 'onDeliveryReport', body: deliveryReport(arg) };
    default:
      return fail(what === undefined ? 'what to simulate?' : `unknown: ${what}`);
  }
}

/** Has the sandbox keep --file, and says what it is, so the user can match it with what ctlive shows. */
async function inboundFile(sandboxUrl: string) {
  if (values.via !== undefined && values.via !== 'direct' && values.via !== 'redirect') {
    fail(`--via must be direct or redirect, not ${values.via}`);
  }
  // npm runs scripts from the package's folder; a relative path is the user's, from where they typed it.
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), values.file!);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e: unknown) {
    return fail(`--file ${values.file} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const file = await registerInboundFile(
    sandboxUrl,
    { path, bytes },
    {
      sender: values.to ?? DEFAULT_BUSINESS_NUMBER,
      via: values.via,
    },
  );
  process.stdout.write(
    `file ${file.name}: ${file.size} bytes, ${file.contentType}, sha256 ${file.sha256} -> ${values.type?.toUpperCase() ?? file.type}\n` +
      `the sandbox serves it as mediaId ${file.mediaId}${values.via === 'redirect' ? ' (through its CDN)' : ''}: ${file.url}\n`,
  );
  return file;
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const times = Number(values.times);
  if (!Number.isInteger(times) || times < 1) fail('--times must be a whole number, 1 or more');
  const baseUrl = (values.url ?? process.env.IMCHANNEL_PUBLIC_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  // The same parser the functions use, so the script signs exactly as the stack expects;
  // with nothing in the environment, the local stack's own credentials.
  const auth = readWebhookAuthConfig({ ...process.env, ...localCredentials(process.env) });
  const sandboxUrl = (values.sandbox ?? sandboxUrlFromEnv()).replace(/\/+$/, '');
  const { route, body, inboundId } = await build(sandboxUrl);
  const url = `${baseUrl}/${route}`;
  process.stdout.write(`POST ${url}${auth.basic || auth.header ? ' (signed)' : ' (no webhook auth configured)'}\n`);
  process.stdout.write(`${JSON.stringify(body)}\n`);
  const answers = await Promise.all(Array.from({ length: times }, () => postWebhook(url, body, auth)));
  for (const answer of answers) process.stdout.write(`-> ${answer.status} ${answer.body}\n`);
  if (inboundId !== undefined) {
    // So that mark-as-read of this id is taken, as for a message the customer really sent.
    await rememberInbound(sandboxUrl, inboundId).catch((e: unknown) => {
      if (positionals[0] === 'reply') throw e;
      process.stderr.write(`(the sandbox at ${sandboxUrl} was not told of ${inboundId}: ${String(e)})\n`);
    });
  }
  if (answers.some((a) => a.status < 200 || a.status > 299)) process.exitCode = 1;
  const [what, id] = positionals;
  // --times N repeats on purpose; a first post that is a duplicate is what needs saying.
  if (times === 1 && answers[0] && duplicatesIn(answers[0].body) > 0) {
    const kind = what === 'inbound' ? 'message' : `${what} report`;
    process.stderr.write(
      `IMChannel had already forwarded a ${kind} for ${id ?? 'this messageId'}, so it dropped this one as a duplicate: ` +
        'it forwards each messageId once, as Infobip sends one report per message. ' +
        (what === 'delivery'
          ? 'The sandbox reports every send it accepts; start the stack with SANDBOX_DELIVERY_REPORTS=off ' +
            'to make this report the only one, or pass a messageId that has not been reported.\n'
          : 'Pass a messageId that has not been used.\n'),
    );
    process.exitCode = 1;
  }
}

function sandboxUrlFromEnv(): string {
  const port = process.env.SANDBOX_PORT;
  return port ? `http://127.0.0.1:${port}` : DEFAULT_SANDBOX_URL;
}

main().catch((error: unknown) => {
  if (error instanceof ReplyError) {
    process.stderr.write(`simulate: ${error.message}\n`);
    process.exit(1);
  }
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
  process.stderr.write('Is the local stack running (npm start)?\n');
  process.exit(1);
});
