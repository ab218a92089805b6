import { main } from '../../src/cli/main.js';

/** Runs one CLI invocation in-process, collecting what it prints. */
export async function runCli(argv: string[], options: { env?: Record<string, string | undefined>; now?: number } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    ...(options.now !== undefined && { now: () => options.now as number }),
  });
  return { code, stdout, stderr };
}
