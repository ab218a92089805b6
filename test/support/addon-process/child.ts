// The child's side of launch.ts's IPC protocol, shared by the add-on scripts: it sends
// `{ type: 'listening', url, pid }` once ready, answers `{ type: 'heap' }` with
// `{ type: 'heap', heapUsed }` measured after a forced GC, and runs `stop` (then exits) on
// `{ type: 'stop' }`, on SIGTERM, or when the parent goes away.

if (!process.send) throw new Error('an add-on process must be started with an IPC channel (launch.ts)');
if (typeof globalThis.gc !== 'function') throw new Error('an add-on process must be started with --expose-gc');

/** Sends one message to the parent (a no-op once the channel is gone). */
export function tellParent(message: unknown): void {
  if (process.connected) process.send?.(message);
}

function heapAfterGc(): number {
  // Two passes: the first can leave objects whose finalisation frees more on the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

/** Says the add-on listens at `url`, and from then on answers the parent until told to stop. */
export function serveParent(url: string, stop: () => Promise<unknown>): void {
  let stopping: Promise<void> | undefined;
  const stopOnce = () => {
    stopping ??= stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
    return stopping;
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'heap') tellParent({ type: 'heap', heapUsed: heapAfterGc() });
    else if (message?.type === 'stop') void stopOnce();
  });
  process.once('disconnect', () => void stopOnce());
  process.once('SIGTERM', () => void stopOnce());
  tellParent({ type: 'listening', url, pid: process.pid });
}
