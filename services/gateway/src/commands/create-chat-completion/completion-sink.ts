/**
 * Where a chat completion is answered: the HTTP response, behind an interface so the use case
 * knows nothing of Express and a test can watch what was sent.
 */
export interface CompletionSink {
  /** Answers the whole request at once (a completion or an error). */
  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void;
  /** Sends the head of an SSE response. */
  startStream(headers?: Readonly<Record<string, string>>): void;
  /** Sends one SSE event; resolves when it may send the next (backpressure), false if the client is gone. */
  send(data: string): Promise<boolean>;
  end(): void;
  /** True once the client has gone away before the answer was complete. */
  readonly clientGone: boolean;
  /** Aborted when the client goes away before the answer is complete. */
  readonly signal: AbortSignal;
}
