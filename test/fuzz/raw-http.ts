// A bare HTTP/1.1 client on node:net: sends exactly the bytes it is given (non-UTF-8 targets,
// odd header bytes, oversized lines) and reports the answer, or that there was none.
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Sends `request` to 127.0.0.1:`port` and reads until the server closes (send `Connection: close`). */
export function rawRequest(port: number, request: Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!match) {
        reject(
          new Error(`no HTTP answer (${error ? error.message : 'closed'}): ${JSON.stringify(text.slice(0, 200))}`),
        );
        return;
      }
      const split = text.indexOf('\r\n\r\n');
      const headers = split === -1 ? text : text.slice(0, split);
      let body = split === -1 ? '' : text.slice(split + 4);
      if (/\r\ntransfer-encoding: *chunked/i.test(headers)) body = dechunk(body);
      resolve({ status: Number(match[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer arrived is how Node closes on a request it refused; only an answer counts.
    socket.on('error', (error) => finish(error));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('connect', () => socket.end(request));
  });
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd === -1) return out;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** A request's bytes: request line, headers (values as given, latin1 or raw bytes), optional body. */
export function requestBytes(
  method: string,
  target: Buffer | string,
  headers: [string, Buffer | string][],
  body?: Buffer,
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} `, 'latin1'), Buffer.from(target), Buffer.from(' HTTP/1.1\r\n')];
  parts.push(Buffer.from('Host: 127.0.0.1\r\nConnection: close\r\n'));
  for (const [name, value] of headers)
    parts.push(Buffer.from(`${name}: `, 'latin1'), Buffer.from(value), Buffer.from('\r\n'));
  if (body) parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  parts.push(Buffer.from('\r\n'));
  if (body) parts.push(body);
  return Buffer.concat(parts);
}
