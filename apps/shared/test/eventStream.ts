import { parseEventBlock } from '../web/api.ts';

/** Collects the server-sent events of `response` as they arrive; `done` settles when the stream ends (or fails). */
export function readEventStream<T = { event: string; data: unknown }>(response: Response): { events: T[]; done: Promise<void> } {
  const events: T[] = [];
  const done = (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buffer += value;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const block of blocks) {
        const parsed = parseEventBlock(block);
        if (parsed) events.push(parsed as T);
      }
    }
  })().catch(() => undefined);
  return { events, done };
}
