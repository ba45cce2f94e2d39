// Server-sent events, as OpenAI-compatible upstreams stream chat completions: `data: <json>`
// lines, an empty line between events, `data: [DONE]` at the end. The decoder is incremental
// because network chunks split events (and UTF-8 characters) anywhere.
import { StringDecoder } from 'node:string_decoder';

export const DONE = '[DONE]';

export class SseDecoder {
  private readonly text = new StringDecoder('utf8');
  private buffer = '';
  private data: string[] = [];

  /** Feeds bytes; returns the `data` of every event completed by them, in order. */
  push(chunk: Buffer | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.text.write(chunk);
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const newline = this.buffer.indexOf('\n', start);
      if (newline === -1) break;
      let line = this.buffer.slice(start, newline);
      start = newline + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.line(line, events);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The end of the stream: an event not closed by an empty line still counts. */
  end(): string[] {
    const events: string[] = [];
    const rest = this.buffer + this.text.end();
    this.buffer = '';
    if (rest.length > 0) this.line(rest.endsWith('\r') ? rest.slice(0, -1) : rest, events);
    this.line('', events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return; // `event:`, `id:`, `retry:` carry nothing we use
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }
}

/** One SSE event as written to the client. */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}
