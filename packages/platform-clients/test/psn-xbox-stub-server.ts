import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Recorded real PSN / Xbox Live bodies, byte for byte (see fixtures/psn-xbox-index.json). */
export const FIXTURES_DIR = join(import.meta.dirname, 'fixtures');

export const fixture = (file: string): string => readFileSync(join(FIXTURES_DIR, file), 'utf8');

export interface StubRequest {
  method: string;
  /** Path + query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface StubServer {
  baseUrl: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

/** A tiny node:http server on 127.0.0.1:0 answering whatever `handle` says — the platform, byte for byte. */
export async function startStubServer(handle: (request: StubRequest) => StubResponse): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: StubRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      let answer: StubResponse;
      try {
        answer = handle(request);
      } catch (error) {
        answer = { status: 599, body: String(error) };
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const json = (body: string, status = 200, contentType = 'application/json'): StubResponse => ({
  status,
  headers: { 'content-type': contentType },
  body,
});
