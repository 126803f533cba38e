/**
 * CPU microseconds the calling thread has used since it started, from `process.threadCpuUsage`
 * (Node 22.19 and 23.9 on); undefined on a Node without it. The local hub reads it in each of its
 * threads so a benchmark can say which one (a function, the DynamoDB emulator, the main thread
 * with fauxqs and the HTTP API) spends the CPU.
 */
export const threadCpuMicros = (): number | undefined => {
  const reader = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (typeof reader !== 'function') return undefined;
  const used = reader.call(process);
  return used.user + used.system;
};
