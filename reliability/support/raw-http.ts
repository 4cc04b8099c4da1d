import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query, sent byte for byte (UTF-8): no client-side encoding or validation. */
  url: string;
  /** Values go out as Latin-1 bytes, NUL and all. */
  headers: Record<string, string>;
  payload?: string | Buffer | undefined;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 request over a fresh socket, written as given. fetch() refuses what an attacker
 * sends (NUL or Latin-1 in a header, raw non-ASCII in the path), so the attack sets go through this.
 * `localAddress` lets the attack come from another loopback address (127.0.0.2) than the test's own
 * requests: per-address lockouts it earns do not lock the test out.
 */
export function rawRequest(baseUrl: string, request: RawRequest, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const payload = request.payload === undefined ? undefined : Buffer.isBuffer(request.payload) ? request.payload : Buffer.from(request.payload, 'utf8');
  const headerLines = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const head = Buffer.concat([
    Buffer.from(`${request.method} `, 'latin1'),
    Buffer.from(request.url, 'utf8'),
    Buffer.from(` HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\n`, 'latin1'),
    Buffer.from(headerLines, 'latin1'),
    Buffer.from(payload ? `content-length: ${payload.length}\r\n\r\n` : '\r\n', 'latin1'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no complete answer within ${options.timeoutMs ?? 15_000} ms`)), options.timeoutMs ?? 15_000);
    socket.on('connect', () => {
      socket.write(head);
      if (payload) socket.write(payload);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer and close before the whole body was written (413): what it sent counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks), request.method));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseResponse(raw: Buffer, method: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`the connection closed without a complete answer (${raw.length} bytes)`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = method === 'HEAD' ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
