// The part of autocannon 8 (which ships no types) that the reliability harness uses.
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      setupRequest?(request: Record<string, unknown>, context: Record<string, unknown>): Record<string, unknown>;
      onResponse?(
        status: number,
        body: string,
        context: Record<string, unknown>,
        headers: Record<string, string>,
      ): void;
    }
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      timeout?: number;
      requests?: Request[];
    }
    interface Histogram {
      average: number;
      p99: number;
      max: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
