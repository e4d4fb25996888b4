import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Stands in for IMChannel's onDeliveryReport: records each body, answers `answer`. */
async function startImchannel(answer: unknown) {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imchannel`;
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function simulate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'tools/simulate.ts', ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run simulate -- delivery', () => {
  it('--failed posts a status and an error that agree: UNDELIVERABLE_NOT_DELIVERED with EC_UNKNOWN_USER', async () => {
    const imchannel = await startImchannel({ forwarded: 1, duplicates: 0 });
    try {
      const { code } = await simulate(
        'delivery',
        'm-failed-1',
        '--failed',
        '--callback-data',
        'ticket-1',
        '--url',
        imchannel.url,
      );

      expect(code).toBe(0);
      const [result] = (imchannel.bodies[0] as { results: Record<string, unknown>[] }).results;
      expect(result).toMatchObject({
        messageId: 'm-failed-1',
        callbackData: 'ticket-1',
        channel: 'WHATSAPP',
        status: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED' },
        error: { groupId: 1, groupName: 'HANDSET_ERRORS', id: 7002, name: 'EC_UNKNOWN_USER', permanent: true },
      });
    } finally {
      await imchannel.close();
    }
  }, 40_000);

  it('says so, and exits 1, when IMChannel drops the report as a duplicate of the sandbox’s own', async () => {
    const imchannel = await startImchannel({ forwarded: 0, duplicates: 1 });
    try {
      const { code, stderr } = await simulate('delivery', 'm-reported-1', '--failed', '--url', imchannel.url);

      expect(code).toBe(1);
      expect(stderr).toContain('already forwarded a delivery report for m-reported-1');
      expect(stderr).toContain('SANDBOX_DELIVERY_REPORTS=off');
    } finally {
      await imchannel.close();
    }
  }, 40_000);
});
