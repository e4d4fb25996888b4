import { createHash, randomUUID } from 'node:crypto';
import { INFOBIP_MEDIA_LIMITS, type ObjectStorageConfig } from '../../lib/platform/config';
import type { MediaKind } from '../../lib/media/kinds';
import type { ObjectEntry } from '../../lib/media/objectEntry';
import { objectKeyOf, type ObjectStorage } from '../../lib/media/objects';
import type { ObjectEntryStore } from '../../lib/media/objectStore';
import type { StoredMediaDeps } from '../../lib/media/sendStored';

/**
 * Uploads in memory, for unit tests of the routes that send one by `mediaId`: the Redis
 * entries and sent marks as lib/media/objectStore.ts keeps them (a mark is SET NX), the
 * bucket as a map of object key to bytes (HEAD answers the stored type), and nothing else.
 */
export const STREAM_URL = 'https://stream.example.com';

export function memoryUploads(config: Partial<ObjectStorageConfig> = {}) {
  const entries = new Map<string, ObjectEntry>();
  const sent = new Map<string, string>();
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  const entryStore: ObjectEntryStore = {
    async put(id, entry) {
      entries.set(id, entry);
    },
    async read(id) {
      return { entry: entries.get(id) ?? null };
    },
    async markSent(id, messageId) {
      const earlier = sent.get(id);
      if (earlier === undefined) sent.set(id, messageId);
      return earlier;
    },
    async remove(id) {
      entries.delete(id);
      sent.delete(id);
    },
  };
  const storage: ObjectStorage = {
    presignPut: async () => {
      throw new Error('not used by a send');
    },
    presignGet: async () => {
      throw new Error('not used by a send');
    },
    get: async () => undefined,
    async head(key) {
      const object = objects.get(key);
      return object === undefined ? undefined : { size: object.bytes.length, contentType: object.contentType, metadata: {} };
    },
    async readStart(key, count) {
      return objects.get(key)?.bytes.subarray(0, count);
    },
    async remove(key) {
      objects.delete(key);
    },
    putStream: async () => {
      throw new Error('not used by a send');
    },
    copy: async () => {
      throw new Error('not used by a send');
    },
  };
  const deps: StoredMediaDeps = {
    entries: entryStore,
    storage,
    config: {
      bucket: 'imchannel-media',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      uploadTtlSeconds: 300,
      fetchMode: 'stream',
      streamUrl: STREAM_URL,
      limits: { ...INFOBIP_MEDIA_LIMITS },
      ...config,
    },
  };
  /** An upload whose bytes are in the bucket (`put: false`: not PUT yet), as POST /imchannel/media and S3 leave it: its mediaId. */
  const add = (kind: MediaKind, fileName: string, contentType: string, bytes: Buffer, options: { put?: boolean } = {}) => {
    const mediaId = randomUUID();
    const objectKey = objectKeyOf(mediaId);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    entries.set(mediaId, { kind, contentType, fileName, size: bytes.length, objectKey, sha256 });
    if (options.put !== false) objects.set(objectKey, { bytes, contentType });
    return mediaId;
  };
  return { deps, add, entries, sent, objects };
}
