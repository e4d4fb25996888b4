import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The figures docs/reliability.md reports, written by the suite itself at the end of each
 * test file into test/reliability/results/latest/faults.json (git-ignored, so a test run
 * leaves the tree clean). `npm run figures:promote` merges them into the committed
 * test/reliability/results/faults.json the docs are generated from. A case counts as
 * passed only when its last assertion ran, so `errors` is every case that started and did
 * not get there.
 */
export const RESULTS_FILE = join(__dirname, '..', 'results', 'latest', 'faults.json');
export const PROMOTED_FILE = join(__dirname, '..', 'results', 'faults.json');

export interface SectionFigures {
  casesRun: number;
  casesPassed: number;
  errors: number;
  [figure: string]: unknown;
}

export interface ResultsFile {
  summary: Record<string, unknown>;
  sections: Record<string, SectionFigures & { ranAt: string }>;
}

export interface Tally {
  /** Wraps a test body: counts it as run at the start, as passed after its last line. */
  track<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
  /** Adds to a named figure of this section (bad inputs tried per endpoint, …). */
  add(figure: string, n?: number): void;
  /** Merges this section into the results file; call from afterAll. */
  write(): void;
}

export function tally(section: string): Tally {
  let casesRun = 0;
  let casesPassed = 0;
  const figures: Record<string, number> = {};
  return {
    track:
      (body) =>
      async (...args) => {
        casesRun += 1;
        await body(...args);
        casesPassed += 1;
      },
    add(figure, n = 1) {
      figures[figure] = (figures[figure] ?? 0) + n;
    },
    write() {
      const file: ResultsFile = existsSync(RESULTS_FILE)
        ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ResultsFile)
        : { summary: {}, sections: {} };
      file.sections[section] = {
        ranAt: new Date().toISOString(),
        casesRun,
        casesPassed,
        errors: casesRun - casesPassed,
        ...figures,
      };
      file.summary = summarise(file.sections);
      mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
      writeFileSync(RESULTS_FILE, `${JSON.stringify(file, null, 2)}\n`);
    },
  };
}

export function summarise(sections: ResultsFile['sections']): Record<string, unknown> {
  const all = Object.entries(sections);
  const sum = (pick: (name: string, s: SectionFigures) => number) => all.reduce((total, [name, s]) => total + pick(name, s), 0);
  const badInputsPerEndpoint: Record<string, number> = {};
  for (const [name, s] of all) {
    if (!name.startsWith('badInput')) continue;
    for (const [figure, value] of Object.entries(s)) {
      if (figure.startsWith('tried:') && typeof value === 'number') {
        badInputsPerEndpoint[figure.slice('tried:'.length)] = (badInputsPerEndpoint[figure.slice('tried:'.length)] ?? 0) + value;
      }
    }
  }
  return {
    casesRun: sum((_, s) => s.casesRun),
    casesPassed: sum((_, s) => s.casesPassed),
    faultCases: sum((name, s) => (name.startsWith('faults') ? s.casesRun : 0)),
    faultsSurvived: sum((name, s) => (name.startsWith('faults') ? s.casesPassed : 0)),
    badInputsTried: Object.values(badInputsPerEndpoint).reduce((a, b) => a + b, 0),
    badInputsPerEndpoint,
    attacksRun: sum((name, s) => (name.startsWith('attacks') ? s.casesRun : 0)),
    attacksPassed: sum((name, s) => (name.startsWith('attacks') ? s.casesPassed : 0)),
    errors: sum((_, s) => s.errors),
  };
}
