// The one way a test starts an add-on in a child process: `node --expose-gc --import tsx` on one of
// the scripts beside this file (example-addon.ts, stores-addon.ts), with the tsconfig beside them so
// the add-on and every `@connect-jwt/*` package load from their sources (no build needed). The child
// speaks child.ts's IPC protocol: it says where it listens, reports its cache's change feed and its
// heap, and closes its server and store when told to stop or when this process goes away.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsconfig = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

/** The add-on scripts a test can start. */
export type AddonScript = 'example-addon' | 'stores-addon';

export interface AddonProcess {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Output of the child so far (for failure messages). */
  output(): string;
  /** Exit code or signal if the child has exited (it never should during a test). */
  exited(): string | undefined;
  /** What the child's cache reported of its store's change feed so far, in order ('down', 'up'). */
  feedStatus(): string[];
  /** heapUsed (bytes) after a forced GC in the child. */
  heapAfterGc(): Promise<number>;
  /** Asks the child to close its server and store; kills it if it has not exited in 10 s. */
  stop(): Promise<void>;
}

const started = new Set<AddonProcess>();

/** Stops every add-on process started so far and not yet stopped (an `afterAll`). */
export async function stopAllAddonProcesses(): Promise<void> {
  await Promise.all([...started].map((addon) => addon.stop()));
}

/** Starts `script` with `env` (on top of this process's); resolves once it listens. */
export function launchAddonProcess(
  script: AddonScript,
  env: Record<string, string>,
  label: string = script,
): Promise<AddonProcess> {
  const child = fork(fileURLToPath(new URL(`./${script}.ts`, import.meta.url)), [], {
    cwd: root,
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: tsconfig },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let exit: string | undefined;
  const feed: string[] = [];
  child.on('message', (message: { type?: string; state?: string }) => {
    if (message?.type === 'feed') feed.push(String(message.state));
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `exit ${code}`;
      resolve();
    });
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${label} process did not start:\n${output}`));
    }, 60_000);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the ${label} process exited (${exit}):\n${output}`));
    });
    child.on('message', function onListening(message: { type?: string; url?: string; pid?: number }) {
      if (message?.type !== 'listening') return;
      child.off('message', onListening);
      clearTimeout(timer);
      const url = String(message.url).replace('localhost', '127.0.0.1');
      const addon: AddonProcess = {
        url,
        port: Number(new URL(url).port),
        pid: Number(message.pid),
        child,
        output: () => output,
        exited: () => exit,
        feedStatus: () => [...feed],
        heapAfterGc: () =>
          new Promise<number>((answer, fail) => {
            if (exit) return fail(new Error(`the ${label} process has exited (${exit})`));
            const onHeap = (reply: { type?: string; heapUsed?: number }) => {
              if (reply?.type !== 'heap') return;
              child.off('message', onHeap);
              answer(Number(reply.heapUsed));
            };
            child.on('message', onHeap);
            child.send({ type: 'heap' });
          }),
        async stop() {
          started.delete(addon);
          if (exit) return;
          const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
          if (child.connected) child.send({ type: 'stop' });
          else child.kill('SIGTERM');
          await exited;
          clearTimeout(force);
        },
      };
      started.add(addon);
      resolve(addon);
    });
  });
}
