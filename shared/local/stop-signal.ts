/**
 * How `npm start` treats SIGINT and SIGTERM. One Ctrl-C reaches the hub more than once: the
 * terminal signals the whole process group, and tsx (and npm) relay the signal to their child as
 * well, a few milliseconds later. So a signal within ECHO_WINDOW_MS of the first is the same
 * request (the graceful stop goes on); one that comes later is a second request to exit at once.
 */
export const ECHO_WINDOW_MS = 1000;

export type StopSignalAction = 'stop' | 'same-request' | 'exit-now';

/** `firstAt`: when the first stop signal came (epoch ms), undefined before any. */
export const stopSignalAction = (
  firstAt: number | undefined,
  now: number,
  echoWindowMs: number = ECHO_WINDOW_MS,
): StopSignalAction => {
  if (firstAt === undefined) return 'stop';
  return now - firstAt < echoWindowMs ? 'same-request' : 'exit-now';
};
