import { INSTALL_HINT, findRedis, pingRedis, startOwnRedis } from '../../tools/localRedis';
import { freePort } from '../../tools/ports';

/** How the local stack finds a Redis: what it falls back to when none is running. */
describe('local Redis', () => {
  it('starts a redis-server of its own on a free port, and stops it', async () => {
    const redis = await startOwnRedis();
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(await pingRedis(redis.url)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(await pingRedis(redis.url, 300)).toBe(false);
  });

  it('says how to install Redis when there is no redis-server to start', async () => {
    await expect(startOwnRedis('redis-server-that-is-not-installed')).rejects.toThrow(INSTALL_HINT);
  });

  it('refuses a REDIS_URL where nothing answers, rather than falling back silently', async () => {
    const port = await freePort();
    await expect(findRedis(`redis://127.0.0.1:${port}`)).rejects.toThrow(/REDIS_URL is set but no Redis answers there/);
  });
});
