/**
 * Calls `attempt` until it resolves, at most for `within` ms (a bound, not a speed assertion),
 * then rethrows the last failure. For recovery checks: "works again once the link is back".
 */
export async function eventually<T>(attempt: () => Promise<T>, options: { within?: number; every?: number } = {}) {
  const within = options.within ?? 20_000;
  const every = options.every ?? 100;
  const deadline = Date.now() + within;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, every));
    }
  }
}
