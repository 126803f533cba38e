import { describe, expect, it } from 'vitest';
import { reportPaths, writtenLines } from '../../bench/report.ts';

describe('npm run bench: its closing lines', () => {
  it('name the files a run wrote', () => {
    // Prepare / Act
    const lines = writtenLines(['bench/results/latest.json', 'bench/results/2026-12-05.json']);
    // Assess
    expect(lines).toEqual(['', 'written: bench/results/latest.json, bench/results/2026-12-05.json']);
  });

  it('are none when the run wrote nothing (--only=scale): no bare "written: "', () => {
    // Prepare / Act / Assess
    expect(writtenLines([])).toEqual([]);
  });
});

describe('npm run bench: where a run writes its report', () => {
  const report = { machine: { date: '2026-12-07T00:40:00.000Z' }, quick: false } as Parameters<
    typeof reportPaths
  >[0];

  it('makes a whole run the record: latest.json and its dated copy', () => {
    // Prepare / Act / Assess
    expect(reportPaths(report, 'bench/results')).toEqual([
      'bench/results/latest.json',
      'bench/results/2026-12-07.json',
    ]);
  });

  it('gives a run of some sections a file of its own, so the record the scale model reads stays whole', () => {
    // Prepare / Act
    const paths = reportPaths(report, 'bench/results', ['end-to-end', 'cold-start']);
    const quick = reportPaths({ ...report, quick: true }, 'bench/results', ['end-to-end']);
    // Assess
    expect(paths).toEqual(['bench/results/2026-12-07-only-cold-start+end-to-end.json']);
    expect(quick).toEqual(['bench/results/2026-12-07-only-end-to-end-quick.json']);
  });
});
