import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performanceFigures, PERFORMANCE_MARKERS, promoteBench } from '../../bench/figures';
import { promoteReliability, reliabilityFigures, RELIABILITY_MARKERS } from '../../test/reliability/figures';
import { PERFORMANCE_DOC, RELIABILITY_DOC, replaceBlock } from '../../tools/figures';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imchannel-figures-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const put = (name: string, content: unknown) => {
  writeFileSync(join(dir, name), JSON.stringify(content));
  return join(dir, name);
};

describe('the figures in docs/', () => {
  it('are the ones the committed results files give (npm run figures:promote wrote them)', () => {
    const reliability = readFileSync(RELIABILITY_DOC, 'utf8');
    expect(replaceBlock(reliability, RELIABILITY_MARKERS, reliabilityFigures())).toBe(reliability);
    const performance = readFileSync(PERFORMANCE_DOC, 'utf8');
    expect(replaceBlock(performance, PERFORMANCE_MARKERS, performanceFigures())).toBe(performance);
  });

  it('replace only what lies between the markers, and refuse a page without them', () => {
    expect(replaceBlock('a\n<!-- s -->\nold\n<!-- e -->\nb', ['<!-- s -->', '<!-- e -->'], 'new')).toBe(
      'a\n<!-- s -->\nnew\n<!-- e -->\nb',
    );
    expect(() => replaceBlock('no markers', ['<!-- s -->', '<!-- e -->'], 'new')).toThrow('no <!-- s --> … <!-- e --> block');
  });
});

describe('promoting the bench', () => {
  const run = (over: Record<string, unknown>) => ({
    mode: 'full',
    startedAt: '2026-12-01T00:00:00.000Z',
    errors: [],
    misses: [],
    ...over,
  });

  it('copies a newer complete full run into the committed file', () => {
    const files = {
      latest: put('latest.json', run({})),
      committed: put('results.json', run({ startedAt: '2026-11-01T00:00:00.000Z' })),
    };
    expect(promoteBench(dir, files)).toBe('results.json: promoted the run of 2026-12-01T00:00:00.000Z');
    expect(json(files.committed).startedAt).toBe('2026-12-01T00:00:00.000Z');
  });

  it.each([
    ['a short run', run({ mode: 'short' }), 'not a full run'],
    ['a run that could not measure everything', run({ errors: ['warm: down'] }), 'could not measure everything'],
    ['an older run', run({ startedAt: '2026-10-01T00:00:00.000Z' }), 'already holds the run'],
  ])('keeps the committed file against %s', (_, latest, why) => {
    const committed = run({ startedAt: '2026-11-01T00:00:00.000Z' });
    const files = { latest: put('latest.json', latest), committed: put('results.json', committed) };
    expect(promoteBench(dir, files)).toContain(why);
    expect(json(files.committed)).toEqual(committed);
  });

  it('says so when no run is there', () => {
    expect(promoteBench(dir, { latest: join(dir, 'none.json'), committed: join(dir, 'results.json') })).toContain(
      'no full bench run',
    );
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
  });
});

describe('promoting the reliability figures', () => {
  const section = (ranAt: string, casesRun: number) => ({ ranAt, casesRun, casesPassed: casesRun, errors: 0 });

  it('merges the newer parts of the latest run, keeps the rest, and sums again', () => {
    const files = {
      faults: put('faults.json', {
        summary: {},
        sections: { 'faults.redis': section('2026-11-01', 18), attacks: section('2026-11-01', 20) },
      }),
      latestFaults: put('latest-faults.json', {
        summary: {},
        sections: { attacks: section('2026-12-01', 30), badInput: section('2026-10-01', 1) },
      }),
      load: put('load.json', { exactlyOnce: { finishedAt: '2026-11-01', n: 1 }, load: { finishedAt: '2026-11-01', n: 1 } }),
      latestLoad: put('latest-load.json', { load: { finishedAt: '2026-12-01', n: 2 } }),
    };
    expect(promoteReliability(dir, files)).toEqual([
      'faults.json: attacks (2026-12-01)',
      'faults.json: badInput (2026-10-01)',
      'load.json: load (2026-12-01)',
    ]);
    const faults = json(files.faults) as { summary: Record<string, unknown>; sections: Record<string, { casesRun: number }> };
    expect(Object.keys(faults.sections)).toEqual(['faults.redis', 'attacks', 'badInput']);
    expect(faults.summary).toMatchObject({ casesRun: 49, attacksRun: 30, faultCases: 18 });
    expect(json(files.load)).toEqual({
      exactlyOnce: { finishedAt: '2026-11-01', n: 1 },
      load: { finishedAt: '2026-12-01', n: 2 },
    });
  });

  it('leaves the committed files alone when the latest run is not newer', () => {
    const committed = { summary: { casesRun: 18 }, sections: { attacks: section('2026-12-01', 18) } };
    const files = {
      faults: put('faults.json', committed),
      latestFaults: put('latest-faults.json', { summary: {}, sections: { attacks: section('2026-11-01', 5) } }),
      load: join(dir, 'load.json'),
      latestLoad: join(dir, 'latest-load.json'),
    };
    expect(promoteReliability(dir, files)).toEqual([]);
    expect(json(files.faults)).toEqual(committed);
  });
});
