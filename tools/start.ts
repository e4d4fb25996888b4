/**
 * `npm start`: the whole local stack in one command, until Ctrl-C.
 */
import { INSTALL_HINT } from './localRedis';
import { localLogPath } from './logs/local';
import { startLocalStack, type LocalStack } from './stack';

function banner(stack: LocalStack): string {
  const { env } = stack;
  const webhookAuth = [
    env.INFOBIP_WEBHOOK_USERNAME ? `Basic ${env.INFOBIP_WEBHOOK_USERNAME}:${env.INFOBIP_WEBHOOK_PASSWORD}` : '',
    env.INFOBIP_WEBHOOK_HEADER ? `header "${env.INFOBIP_WEBHOOK_HEADER}"` : '',
  ].filter(Boolean);
  return [
    '',
    'IMChannel local stack is up (Ctrl-C stops everything it started)',
    `  API              ${stack.apiUrl}`,
    `  ctlive token     ${stack.token}   (Authorization: Bearer …)`,
    `  webhook auth     ${webhookAuth.join(' and ') || 'none'}`,
    `  Infobip sandbox  ${stack.sandbox.url}`,
    `  OpenAPI          ${stack.docs.url}/openapi.json`,
    `  Upstash proxy    ${stack.proxy.url}   (Redis at ${stack.redisUrl})`,
    `  function logs    ${localLogPath()}   (npm run logs -- --local --message-id …)`,
    `  ctlive target    ${env.CTLIVE_TARGET}${env.CTLIVE_TARGET === stack.sink.url ? '   (the local ctlive sink)' : ''}`,
    `                   or CTLIVE_TARGET=lambda:${stack.sinkFunctionName} npm start for the Lambda path`,
    '',
    'Try:',
    `  curl -s ${stack.apiUrl}/sendMessage -H "Authorization: Bearer ${stack.token}" \\`,
    `    -H "Content-Type: application/json" -d '{"to":"39123456789","text":"Hello from IMChannel"}'`,
    '  npm run simulate -- inbound "Oh well"',
    '',
  ].join('\n');
}

async function main() {
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ logFile: localLogPath() });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nCould not start the local stack: ${message}\n`);
    if (message === INSTALL_HINT) process.stderr.write('\n');
    process.exit(1);
  }
  process.stdout.write(`${banner(stack)}\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the local stack…\n');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

void main();
