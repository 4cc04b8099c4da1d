import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

// Requests Node's HTTP parser refuses never reach Fastify's routing (app.inject bypasses the parser,
// so only a real socket shows them): they must still be answered with problem+json.
let h: ApiHarness;
let port: number;
beforeAll(async () => {
  h = await createApiHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await h.close();
});

/** Writes the bytes as they are and reads the whole answer (the server closes after a refusal). */
function send(raw: Buffer): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: *([^\r\n]+)/i.exec(head)?.[1], body });
    });
  });
}

describe('requests the HTTP parser refuses', () => {
  it.each([
    { name: 'raw spaces in the path', raw: Buffer.from("GET /syncs/' or 1=1 -- HTTP/1.1\r\nhost: x\r\n\r\n"), status: 400, code: 'bad_request' },
    {
      name: 'raw UTF-8 bytes in the path',
      raw: Buffer.concat([Buffer.from('GET /'), Buffer.from('\u00e9', 'utf8'), Buffer.from(' HTTP/1.1\r\nhost: x\r\n\r\n')]),
      status: 400,
      code: 'bad_request',
    },
    { name: 'a NUL in a header', raw: Buffer.from('GET /health HTTP/1.1\r\nhost: x\r\nx-id: a\u0000b\r\n\r\n', 'latin1'), status: 400, code: 'bad_request' },
    { name: '30 KB of headers', raw: Buffer.from(`GET /health HTTP/1.1\r\nhost: x\r\nx-pad: ${'x'.repeat(30_000)}\r\n\r\n`), status: 431, code: 'headers_too_large' },
  ])('$name: problem+json $status $code', async ({ raw, status, code }) => {
    const res = await send(raw);
    expect(res.status).toBe(status);
    expect(res.contentType).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  });

  it('leaves well-formed requests alone', async () => {
    const res = await send(Buffer.from('GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    expect(res.status).toBe(200);
  });
});
