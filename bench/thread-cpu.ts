import { readFileSync } from 'node:fs';
import { round } from './stats.ts';

/**
 * CPU time spent, as opposed to wall time: on a shared, loaded machine the events per second a run
 * reaches say as much about the neighbours as about the hub, while the CPU each event costs does
 * not move with them. The whole process (every thread: hub, emulators, functions, load) comes from
 * `process.cpuUsage()`; the calling thread's own from Linux's /proc/thread-self/stat (absent
 * elsewhere), which is how a thread that every request crosses shows as the one that limits.
 */
export interface CpuReading {
  readonly processMs: number;
  readonly threadMs?: number;
}

/** /proc counts in clock ticks, 100 a second on Linux whatever the kernel's own tick. */
const MS_PER_TICK = 10;

const threadMs = (): number | undefined => {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * MS_PER_TICK : undefined;
  } catch {
    return undefined;
  }
};

export const readCpu = (): CpuReading => {
  const usage = process.cpuUsage();
  const thread = threadMs();
  return {
    processMs: (usage.user + usage.system) / 1000,
    ...(thread === undefined ? {} : { threadMs: thread }),
  };
};

/** CPU milliseconds between two readings. */
export const cpuSince = (start: CpuReading, end: CpuReading = readCpu()): CpuReading => ({
  processMs: end.processMs - start.processMs,
  ...(start.threadMs !== undefined && end.threadMs !== undefined
    ? { threadMs: end.threadMs - start.threadMs }
    : {}),
});

/**
 * Each of the local hub's threads' CPU between two `LocalHub.threadCpuMicros()` readings, in
 * milliseconds per unit of work (event, command), largest first; threads that used none are left out.
 */
export const threadCpuPer = (
  start: Readonly<Record<string, number>>,
  end: Readonly<Record<string, number>>,
  units: number,
): Record<string, number> =>
  Object.fromEntries(
    Object.entries(end)
      .map(([thread, micros]): [string, number] => [thread, (micros - (start[thread] ?? 0)) / 1000 / units])
      .filter(([, ms]) => ms >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([thread, ms]) => [thread, round(ms, 2)]),
  );
