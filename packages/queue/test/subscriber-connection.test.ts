import { inject, describe, expect, it } from 'vitest';
import { createRedisConnection } from '../src/index.ts';

describe('a subscriber connection', () => {
  it('takes SUBSCRIBEs sent while it is still connecting, whichever moment of the handshake they land in', async () => {
    // The API opens its one subscriber on the first SSE stream and several streams subscribe at once:
    // one while the socket is still opening (queued), others just after it opened. ioredis writes a
    // SUBSCRIBE at once in that second window, before its ready check, whose INFO is then refused in
    // subscriber mode — and the queued SUBSCRIBE failed with it (the first stream answered 503).
    for (let round = 0; round < 5; round++) {
      const subscriber = createRedisConnection(inject('redisUrl'), 'subscriber', { connectionName: 'subscriber-connection-test' });
      try {
        const subscribed = [subscriber.subscribe(`subscriber-test:${round}:queued`)];
        await new Promise<void>((resolve) => subscriber.once('connect', () => resolve()));
        subscribed.push(subscriber.subscribe(`subscriber-test:${round}:on-connect`));
        const outcomes = await Promise.allSettled(subscribed);
        expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'subscribed'))).toEqual(['subscribed', 'subscribed']);
      } finally {
        subscriber.disconnect();
      }
    }
  });
});
