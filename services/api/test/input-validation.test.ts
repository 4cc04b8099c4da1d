import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlatforms } from '@ach/platform-registry';
import { encodeCursor, isPostgresTimestamptzText } from '../src/pagination/cursor.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/** The app under test serves the built-in platforms: ids 1…3. */
const PLATFORMS = builtinPlatforms;

let h: ApiHarness;
let user: string;
let auth: { authorization: string };
beforeAll(async () => {
  h = await createApiHarness();
  user = await h.createUser();
  await h.linkAccount(user, 'steam');
  auth = await h.bearer(user);
  await sql`insert into games (platform_id, platform_game_id, name, achievements_total) values (3, '440', 'Team Fortress 2', 0)`.execute(h.db);
  await sql`insert into user_progress (user_id, platform_id, platform_game_id, achievements_total, achievements_earned, completion_percentage, last_played_at)
            values (${user}::uuid, 3, '440', 0, 0, 0, '2024-05-01T00:00:00Z')`.execute(h.db);
});
afterAll(async () => {
  await h.close();
});

/** Error-level (pino 50+) lines the app wrote since `from`: a client's mistake must not page anyone. */
const errorLinesSince = (from: number) =>
  h.logs.lines.slice(from).filter((line) => {
    const level = (JSON.parse(line) as { level?: number }).level;
    return typeof level === 'number' && level >= 50;
  });

async function expectBadRequest(request: { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: string; headers?: Record<string, string> }, parameter: string, code: string) {
  const from = h.logs.lines.length;
  const res = await h.app.inject({ ...request, headers: { ...auth, 'content-type': 'application/json', ...request.headers } });
  expect(res.statusCode, `${request.method} ${request.url.slice(0, 120)}: ${res.body.slice(0, 300)}`).toBe(400);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json() as { code: string; detail: string; invalidParams: { name: string }[] };
  expect(body.code).toBe(code);
  expect(body.detail).toContain(parameter);
  expect(body.invalidParams.map((p) => p.name)).toContain(parameter);
  expect(errorLinesSince(from)).toEqual([]);
  return res;
}

const stamp = '2024-05-01 00:00:00+00';

describe('forged cursors are a 400 naming querystring.cursor, never a query Postgres refuses', () => {
  const gamesCursors: [string, unknown][] = [
    ['a timestamp that is not a date', ['garbage', 1, 'x']],
    ['an impossible date', ['2024-02-30 00:00:00+00', 1, 'x']],
    ['month 13', ['2024-13-01 00:00:00+00', 1, 'x']],
    ['hour 25', ['2024-05-01 25:00:00+00', 1, 'x']],
    ['an offset Postgres refuses', ['2024-05-01 00:00:00+16', 1, 'x']],
    ['year 0', ['0000-05-01 00:00:00+00', 1, 'x']],
    ['a year out of range', ['999999-01-01 00:00:00+00', 1, 'x']],
    ['a NUL in the game id', [stamp, 3, 'a\u0000b']],
    ['a lone surrogate in the game id', [stamp, 3, 'a\ud800b']],
    ['platform id 0', [stamp, 0, 'x']],
    [`platform id ${PLATFORMS.length + 1}`, [stamp, PLATFORMS.length + 1, 'x']],
    ['a non-integer platform id', [stamp, 1.5, 'x']],
    ['a platform id as text', [stamp, '1', 'x']],
    ['too few elements', [stamp, 1]],
    ['an object', { at: stamp }],
  ];
  for (const [what, key] of gamesCursors) {
    it(`GET /me/games: ${what}`, async () => {
      await expectBadRequest({ method: 'GET', url: `/me/games?cursor=${encodeCursor(key)}` }, 'querystring.cursor', 'invalid_cursor');
    });
  }

  const historyCursors: [string, unknown][] = [
    ['a timestamp that is not a date', ['garbage', randomUUID()]],
    ['a NUL in the timestamp', [`${stamp}\u0000`, randomUUID()]],
    ['an id that is not a uuid', [stamp, 'x']],
    ['a null timestamp', [null, randomUUID()]],
  ];
  for (const [what, key] of historyCursors) {
    it(`GET /syncs: ${what}`, async () => {
      await expectBadRequest({ method: 'GET', url: `/syncs?cursor=${encodeCursor(key)}` }, 'querystring.cursor', 'invalid_cursor');
    });
  }

  it('a cursor the API issued still pages (the validation accepts what Postgres prints)', async () => {
    for (const ok of ['2024-05-01 00:00:00+00', '2024-02-29 23:59:59.123456+05:30', '1850-01-01 00:00:00+00:19:32', '0001-12-31 00:00:00-15 BC', '12345-01-01 00:00:00+00']) {
      expect(isPostgresTimestamptzText(ok), ok).toBe(true);
      const res = await h.app.inject({ method: 'GET', url: `/me/games?cursor=${encodeCursor([ok, 1, 'x'])}`, headers: auth });
      expect(res.statusCode, ok).toBe(200);
    }
    const first = await h.app.inject({ method: 'GET', url: '/syncs?limit=1', headers: auth });
    expect(first.statusCode).toBe(200);
  });
});

describe('NUL and lone surrogates are a 400 naming the parameter, in every part of a request', () => {
  it('%00 in :platformGameId', async () => {
    await expectBadRequest({ method: 'GET', url: '/me/games/steam/44%000/achievements' }, 'params.platformGameId', 'validation_failed');
  });

  it('a lone surrogate (CESU-8 bytes decode to U+FFFD, so it can only arrive as a JSON escape) in a body field', async () => {
    await expectBadRequest({ method: 'PUT', url: '/accounts/psn', payload: '{"npsso":"abcdefghij\\ud800klmnop"}' }, 'body.npsso', 'validation_failed');
  });

  it('NUL in a body field, in a body key and in a query parameter', async () => {
    await expectBadRequest({ method: 'PUT', url: '/accounts/psn', payload: '{"npsso":"abcdefghij\\u0000klmnop"}' }, 'body.npsso', 'validation_failed');
    await expectBadRequest({ method: 'POST', url: '/sync/steam', payload: '{"mo\\u0000de":"full"}' }, 'body.mo\\u0000de', 'validation_failed');
    await expectBadRequest({ method: 'GET', url: '/me/games?platform=st%00eam' }, 'querystring.platform', 'validation_failed');
  });

  it('NUL in the Idempotency-Key header', async () => {
    await expectBadRequest({ method: 'POST', url: '/sync/steam', payload: '{"mode":"full"}', headers: { 'idempotency-key': 'k\u0000' } }, 'headers.idempotency-key', 'validation_failed');
  });

  it('does not echo a long value back', async () => {
    const long = `${'x'.repeat(30_000)}\u0000`;
    const res = await expectBadRequest({ method: 'PUT', url: '/accounts/psn', payload: JSON.stringify({ npsso: long }) }, 'body.npsso', 'validation_failed');
    expect(res.body.length).toBeLessThan(1_000);
    const key = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ ['k'.repeat(30_000)]: 1 }) });
    expect(key.statusCode).toBe(400);
    expect(key.body.length).toBeLessThan(1_000);
  });
});
