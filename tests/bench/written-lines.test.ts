import { describe, expect, it } from 'vitest';
import { writtenLines } from '../../bench/report.ts';

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
