import { median } from './stats.ts';

/** One function under measurement; awaited on every call so async paths are timed whole. */
export type Subject = () => unknown;

export interface TimingPlan {
  /** Rounds per subject; subjects alternate within each round so drift hits them alike. */
  readonly rounds: number;
  /** Wall time each round aims at; iterations per round are calibrated from it. */
  readonly roundMs: number;
  readonly warmupMs: number;
}

export interface Timing {
  /** Median over rounds of CPU time (user + system) per call, microseconds. */
  readonly cpuMicros: number;
  /** Median over rounds of wall time per call, microseconds. */
  readonly wallMicros: number;
  readonly iterationsPerRound: number;
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

const runTimes = async (subject: Subject, iterations: number): Promise<void> => {
  for (let index = 0; index < iterations; index++) {
    const result = subject();
    if (isPromise(result)) await result;
  }
};

const runFor = async (subject: Subject, ms: number): Promise<number> => {
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < ms || calls < 3) {
    await runTimes(subject, 1);
    calls += 1;
  }
  return (performance.now() - start) / calls;
};

const timeRound = async (subject: Subject, iterations: number): Promise<{ cpu: number; wall: number }> => {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await runTimes(subject, iterations);
  const wall = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: (cpu.user + cpu.system) / iterations, wall: (wall * 1000) / iterations };
};

/** Times subjects against each other in the same run: warm-up, calibration, interleaved rounds. */
export const timeInterleaved = async (subjects: readonly Subject[], plan: TimingPlan): Promise<Timing[]> => {
  const iterations: number[] = [];
  for (const subject of subjects) {
    const perCallMs = await runFor(subject, plan.warmupMs);
    iterations.push(Math.max(3, Math.min(100_000, Math.round(plan.roundMs / Math.max(perCallMs, 0.0005)))));
  }
  const cpu: number[][] = subjects.map(() => []);
  const wall: number[][] = subjects.map(() => []);
  for (let round = 0; round < plan.rounds; round++) {
    for (const [index, subject] of subjects.entries()) {
      const measured = await timeRound(subject, iterations[index] as number);
      cpu[index]?.push(measured.cpu);
      wall[index]?.push(measured.wall);
    }
  }
  return subjects.map((_, index) => ({
    cpuMicros: median(cpu[index] ?? []),
    wallMicros: median(wall[index] ?? []),
    iterationsPerRound: iterations[index] as number,
  }));
};
