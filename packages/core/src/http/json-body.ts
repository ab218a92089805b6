import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidInstallError } from '../errors.js';

function invalid(message: string, cause?: unknown): InvalidInstallError {
  return new InvalidInstallError(message, { status: 400, cause });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Parses a lifecycle body: JSON only (a form or text body is a 400, never a crash). */
export function parseJsonBody(raw: string | Buffer, contentType: string | undefined): unknown {
  if (typeof contentType !== 'string' || !JSON_TYPE.test(contentType)) {
    throw invalid('the lifecycle body must be sent as application/json');
  }
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalid('the lifecycle body is not valid JSON', cause);
  }
}

export interface ReadJsonBodyOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /**
   * What an app-wide body parser (express.json(), koa-bodyparser) already made of the body: the
   * stream is then consumed, so this is used instead, after the same content-type check.
   */
  parsedBody?: unknown;
}

/**
 * Reads and parses a JSON body from a Node request stream, for adapters whose framework does
 * not parse one (Express, Koa). The size is bounded while reading, so a huge body is refused
 * without being buffered.
 */
export function readJsonBody(
  stream: Readable & { headers: IncomingHttpHeaders },
  options: ReadJsonBodyOptions,
): Promise<unknown> {
  const contentType = stream.headers['content-type'];
  if (typeof contentType !== 'string' || !JSON_TYPE.test(contentType)) {
    return Promise.reject(invalid('the lifecycle body must be sent as application/json'));
  }
  if (options.parsedBody !== undefined) return Promise.resolve(options.parsedBody);
  const declared = Number(stream.headers['content-length']);
  if (declared > options.maxBytes) {
    return Promise.reject(invalid(`the lifecycle body is larger than ${options.maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanUp = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > options.maxBytes) {
        cleanUp();
        // Stop buffering; the rest is discarded so the connection can still carry the answer.
        stream.resume();
        reject(invalid(`the lifecycle body is larger than ${options.maxBytes} bytes`));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      cleanUp();
      try {
        resolve(parseJsonBody(Buffer.concat(chunks), contentType));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (cause: unknown) => {
      cleanUp();
      reject(invalid('the lifecycle body could not be read', cause));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
