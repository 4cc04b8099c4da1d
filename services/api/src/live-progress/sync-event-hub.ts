import type { RedisClient } from '@ach/queue';
import type { Logger } from '@ach/observability';
import { parseSyncEvent, syncEventsChannel, type SyncEvent } from '@ach/queue';

export interface SyncEventListener {
  /** Settles once Redis has confirmed the user's channel subscription; events flow from then on. */
  ready: Promise<void>;
  /** Stops delivery at once (synchronous, idempotent); the last listener of a user unsubscribes. */
  stop: () => void;
}

export interface SyncEventHub {
  /** Delivers the user's sync events to `onEvent` until `stop()`. Never awaits: the caller can register `stop` before its next await. */
  listen: (userId: string, onEvent: (event: SyncEvent) => void) => SyncEventListener;
  /** Drops every listener and closes the connection (app close). */
  close: () => void;
}

interface Channel {
  listeners: Set<(event: SyncEvent) => void>;
  subscribed: Promise<void>;
}

/**
 * ONE Redis subscriber connection per API process, fanned out to every open SSE stream. Redis caps
 * its clients (10,000 by default, shared with the workers), so a connection per stream let a burst
 * of streams take the whole system down.
 *
 * Per-user SUBSCRIBE with reference counting (subscribe on a user's first listener, unsubscribe on
 * the last), not one PSUBSCRIBE to `<prefix>:sync-events:*`: with a pattern every API replica would
 * receive and parse every worker's every progress event, whether anyone watches or not; per-user
 * channels keep the traffic proportional to the streams actually open on this replica. The cost
 * is a SUBSCRIBE/UNSUBSCRIBE round per user's first/last stream, on a connection that does
 * nothing else. Commands on one connection run in order, so a SUBSCRIBE still in flight when the
 * last listener leaves is simply followed by its UNSUBSCRIBE, and a user who comes back meanwhile
 * gets a fresh SUBSCRIBE after that. ioredis re-subscribes by itself after a reconnect.
 *
 * The connection is opened on the first listener (an app that never streams holds none) and lives
 * until `close()`.
 */
export function createSyncEventHub(deps: { createSubscriber: () => RedisClient; prefix: string; log: Logger }): SyncEventHub {
  const channels = new Map<string, Channel>();
  let subscriber: RedisClient | undefined;
  let closed = false;

  function dispatch(name: string, message: string): void {
    const channel = channels.get(name);
    if (!channel) return; // its UNSUBSCRIBE is in flight
    const event = parseSyncEvent(message);
    if (!event) {
      deps.log.warn({ channel: name }, 'ignored a malformed sync event');
      return;
    }
    for (const listener of [...channel.listeners]) {
      try {
        listener(event);
      } catch (error) {
        deps.log.warn({ err: error }, 'sync event listener failed');
      }
    }
  }

  function connection(): RedisClient {
    if (!subscriber) {
      subscriber = deps.createSubscriber();
      subscriber.on('message', dispatch);
    }
    return subscriber;
  }

  function openChannel(name: string): Channel {
    const channel: Channel = {
      listeners: new Set(),
      subscribed: connection()
        .subscribe(name)
        .then(() => undefined),
    };
    // A failed SUBSCRIBE must not stick: the next listener of this user tries again.
    channel.subscribed.catch(() => {
      if (channels.get(name) === channel) channels.delete(name);
    });
    channels.set(name, channel);
    return channel;
  }

  return {
    listen(userId, onEvent) {
      if (closed) return { ready: Promise.reject(new Error('the sync event hub is closed')), stop: () => {} };
      const name = syncEventsChannel(deps.prefix, userId);
      const channel = channels.get(name) ?? openChannel(name);
      // A wrapper of its own, so the same callback registered twice is two listeners.
      const listener = (event: SyncEvent) => onEvent(event);
      channel.listeners.add(listener);
      let stopped = false;
      return {
        ready: channel.subscribed,
        stop() {
          if (stopped) return;
          stopped = true;
          channel.listeners.delete(listener);
          if (channel.listeners.size > 0 || channels.get(name) !== channel) return;
          channels.delete(name);
          if (!closed) subscriber?.unsubscribe(name).catch(() => {});
        },
      };
    },
    close() {
      closed = true;
      channels.clear();
      // Nothing to flush on a subscriber connection: drop it at once, even with Redis unreachable.
      subscriber?.disconnect();
      subscriber = undefined;
    },
  };
}
