/**
 * The bench's streaming part (bench/stream.ts) as the report shows it: table 7 and its
 * misses come from the rows, so a fetch over the target or with another SHA-256 is a
 * MISSES in the table and a line in the run's missed targets.
 */
import { misses, tables, type BenchResults } from '../../bench/report';
import type { StreamRow } from '../../bench/stream';

const MB = 1024 * 1024;
const row = (sizeBytes: number, peakAboveLoadBytes: number, overrides: Partial<StreamRow> = {}): StreamRow => ({
  sizeBytes,
  fetchInProcess: 1,
  seconds: 0.5,
  rssAfterLoadBytes: 46 * MB,
  startBytes: 46 * MB,
  peakBytes: 46 * MB + peakAboveLoadBytes,
  peakAboveLoadBytes,
  maxRssBytes: 46 * MB + peakAboveLoadBytes,
  sha256Matches: true,
  meets: peakAboveLoadBytes <= 96 * MB && (overrides.sha256Matches ?? true),
  ...overrides,
});

const results = (rows: StreamRow[]): BenchResults => ({
  mode: 'full',
  startedAt: '2026-12-02T00:00:00.000Z',
  machine: { node: 'v20', os: 'Linux', cpu: 'cpu', cpus: 2, memoryGiB: 8 },
  stream: { function: 'onGetDocumentMessage', targetAboveLoadBytes: 96 * MB, rows },
  misses: [],
  errors: [],
});

describe('bench table 7: the streaming fetch', () => {
  it('shows one line per fetch, the second fetch of a process marked, with its verdict', () => {
    const [table] = tables(results([row(100 * MB, 62 * MB), row(100 * MB, 64 * MB, { fetchInProcess: 2 })]));

    expect(table?.title).toMatch(/^7\. Streaming fetch/);
    expect(table?.rows.map((r) => [r[0], r[1], r[6], r.at(-1)])).toEqual([
      ['100.0 MiB', '1st (fresh)', '62.0 MiB', 'meets'],
      ['100.0 MiB', '2nd', '64.0 MiB', 'meets'],
    ]);
  });

  it('a peak over the target, or other bytes than uploaded, is a missed target', () => {
    const r = results([row(1 * MB, 30 * MB), row(100 * MB, 150 * MB), row(25 * MB, 40 * MB, { sha256Matches: false })]);

    expect(tables(r)[0]?.rows.map((cells) => cells.at(-1))).toEqual(['meets', 'MISSES', 'MISSES']);
    expect(misses(r)).toEqual([
      'stream 100.0 MiB: peak 150.0 MiB above load (≤ 96.0 MiB), SHA-256 same',
      'stream 25.0 MiB: peak 40.0 MiB above load (≤ 96.0 MiB), SHA-256 different',
    ]);
  });
});
