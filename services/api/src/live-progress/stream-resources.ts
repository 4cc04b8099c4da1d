import type { ServerResponse } from 'node:http';

export interface StreamResources {
  /** True once released: the client left, the stream ended or the app is closing. */
  readonly released: boolean;
  /** Registers what to undo on release; runs it at once when already released (acquired too late). */
  hold: (release: () => void) => void;
  /** Undoes everything held, newest first, once. */
  release: () => void;
}

/**
 * What one SSE stream holds (slot, subscription, timers), released exactly once whichever way it
 * ends. Create it before the handler's first await: the client may leave at any point of the
 * set-up, and a 'close' that fired before anyone listened never fires again — which is how
 * aborted set-ups used to leak a Redis connection each.
 */
export function trackStreamResources(response: ServerResponse): StreamResources {
  const held: (() => void)[] = [];
  let released = false;

  const run = (undo: () => void) => {
    try {
      undo();
    } catch {
      // One failed undo must not keep the others from running.
    }
  };
  const release = () => {
    if (released) return;
    released = true;
    response.off('close', release);
    for (const undo of held.splice(0).reverse()) run(undo);
  };

  response.on('close', release);
  // The client may already have gone while authentication and rate limiting ran.
  if (response.closed || response.destroyed) release();

  return {
    get released() {
      return released;
    },
    hold(undo) {
      if (released) run(undo);
      else held.push(undo);
    },
    release,
  };
}
