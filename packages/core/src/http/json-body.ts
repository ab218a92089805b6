import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { type ConnectJwtError, InvalidInstallError } from '../errors.js';

function invalidInstall(message: string, cause?: unknown): ConnectJwtError {
  return new InvalidInstallError(message, { status: 400, cause });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Parses a lifecycle body: JSON only (a form or text body is a 400, never a crash). */
export function parseJsonBody(
  raw: string | Buffer,
  contentType: string | undefined,
  invalid: BodyErrorFactory = invalidInstall,
): unknown {
  if (typeof contentType !== 'string' || !JSON_TYPE.test(contentType)) {
    throw invalid('the body must be sent as application/json');
  }
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalid('the body is not valid JSON', cause);
  }
}

/** Makes the 400 a body refusal is answered with: InvalidInstallError for the lifecycle (the default). */
export type BodyErrorFactory = (message: string, cause?: unknown) => ConnectJwtError;

export interface ReadJsonBodyOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /**
   * What an app-wide body parser already made of the body (`req.body`, `ctx.request.body`): a
   * parsed object is used as it is, a string or Buffer (express.raw(), a text parser) is parsed
   * here, and an empty `{}` a form-only parser left is ignored while the stream is still unread.
   */
  parsedBody?: unknown;
  /** The error a refused body raises; default the lifecycle's InvalidInstallError (400). */
  invalid?: BodyErrorFactory | undefined;
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
  const invalid = options.invalid ?? invalidInstall;
  const contentType = stream.headers['content-type'];
  if (typeof contentType !== 'string' || !JSON_TYPE.test(contentType)) {
    return Promise.reject(invalid('the body must be sent as application/json'));
  }
  const parsed = options.parsedBody;
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) {
    const bytes = typeof parsed === 'string' ? Buffer.byteLength(parsed) : parsed.byteLength;
    if (bytes > options.maxBytes) {
      return Promise.reject(invalid(`the body is larger than ${options.maxBytes} bytes`));
    }
    try {
      return Promise.resolve(
        parseJsonBody(typeof parsed === 'string' ? parsed : Buffer.from(parsed), contentType, invalid),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const unread = !stream.readableDidRead && !stream.readableEnded && !stream.destroyed;
  // A form-only parser (koa's bodyParser limited to forms) leaves `{}` for a JSON request and the
  // stream untouched: the body is still there to read.
  const placeholder = isEmptyObject(parsed) && unread;
  if (parsed !== undefined && parsed !== null && !placeholder) return Promise.resolve(parsed);
  if (!unread) {
    // Waiting for data that another middleware already took would hang until a timeout.
    return Promise.reject(invalid('the body was already read by another middleware that kept nothing of it'));
  }
  const declared = Number(stream.headers['content-length']);
  if (declared > options.maxBytes) {
    return Promise.reject(invalid(`the body is larger than ${options.maxBytes} bytes`));
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
        reject(invalid(`the body is larger than ${options.maxBytes} bytes`));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      cleanUp();
      try {
        resolve(parseJsonBody(Buffer.concat(chunks), contentType, invalid));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (cause: unknown) => {
      cleanUp();
      reject(invalid('the body could not be read', cause));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const _ in value) return false;
  return true;
}
