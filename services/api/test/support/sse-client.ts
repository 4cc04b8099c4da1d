export interface SseStream {
  status: number;
  headers: Headers;
  /** Everything received so far. */
  text: () => string;
  /** Reads until `needle` has arrived (true) or the stream ended without it (false). */
  readUntil: (needle: string) => Promise<boolean>;
  /** Reads to the end of the stream; true when the server ended it. */
  readToEnd: () => Promise<true>;
  /** The client goes away. */
  cancel: () => Promise<void>;
  /** The `data:` lines of `event: <name>` frames, parsed. */
  events: (name: string) => unknown[];
}

/** A real HTTP SSE client (fetch), for streams that `inject` cannot hold open. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const readOnce = async () => {
    const { value, done } = await reader.read();
    if (done) ended = true;
    else text += decoder.decode(value, { stream: true });
  };
  return {
    status: response.status,
    headers: response.headers,
    text: () => text,
    async readUntil(needle) {
      while (!text.includes(needle) && !ended) await readOnce();
      return text.includes(needle);
    },
    async readToEnd() {
      while (!ended) await readOnce();
      return true;
    },
    async cancel() {
      controller.abort();
      await reader.cancel().catch(() => {});
    },
    events(name) {
      return text
        .split('\n\n')
        .filter((block) => block.split('\n').includes(`event: ${name}`))
        .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
    },
  };
}
