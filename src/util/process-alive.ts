/** Whether a process id names a running process on this machine (for stale temp files and locks). */

/**
 * True when `pid` is running here. `kill(pid, 0)` sends nothing: ESRCH means no such process, EPERM
 * means it exists but belongs to another user (alive). Anything else is treated as alive, so a file
 * of a process we cannot judge is never taken away from it.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== 'ESRCH';
  }
}
