// A simulated OpenAI-compatible upstream provider, over real HTTP, for tests and the bench. It is
// NOT an OpenAI: it answers `POST /chat/completions` with the same deterministic echo as the
// gateway's built-in `sim/` provider (so the bench can compare the gateway with a bare server
// doing the same work), and its model names choose a behaviour to test the forwarding path:
//
//   echo       a normal answer; usage as OpenAI sends it (always on whole answers, on streams
//              only with stream_options.include_usage)
//   no-usage   never reports usage (some OpenAI-compatible servers do not)
//   slow       streams one token per chunk, `slowChunkDelayMs` apart (to disconnect mid-stream)
//   broken     streams a few chunks, then drops the connection
//   fail       500 with an OpenAI-shaped error
//   reject     400 with an OpenAI-shaped error (a parameter the model does not take)
//   leak       500 whose error text names an internal host and quotes the provider key
//   leak-reject  400 likewise (what an upstream proxy in front of a provider may answer)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseChatRequest,
  simResponseBody,
  simStreamEvents,
  simulateCompletion,
  sseEvent,
  type SimCompletion,
} from '../domain/index.js';

export interface SimulatedUpstreamOptions {
  /** The key the server expects in `Authorization: Bearer` (any when undefined). */
  readonly apiKey?: string;
  readonly slowChunkDelayMs?: number;
  /** The output limit the echo applies when the request sets none. */
  readonly maxOutputTokens?: number;
}

export interface ReceivedRequest {
  readonly body: Record<string, unknown>;
  readonly authorization: string | undefined;
}

export class SimulatedUpstreamServer {
  readonly received: ReceivedRequest[] = [];
  /** Streams whose client (the gateway) went away before the end. */
  abortedStreams = 0;
  private server: http.Server | undefined;
  private sequence = 0;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly options: SimulatedUpstreamOptions = {}) {}

  /** Whether requests are recorded in `received` (off in the bench). */
  record = true;

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    return this.baseUrl;
  }

  /** The OpenAI-style base URL, e.g. `http://127.0.0.1:41234/v1`. */
  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the simulated upstream is not started');
    return `http://127.0.0.1:${address.port}/v1`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return json(res, 404, error('not_found', `no route ${req.method} ${req.url}`));
    }
    if (
      this.options.apiKey !== undefined &&
      req.headers.authorization !== `Bearer ${this.options.apiKey}`
    ) {
      return json(res, 401, error('invalid_api_key', 'Incorrect API key provided.'));
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return json(res, 400, error('invalid_request_error', 'the body is not JSON'));
    }
    if (this.record) this.received.push({ body, authorization: req.headers.authorization });
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return json(res, 400, { error: parsed.failure });
    const request = parsed.value;
    const behaviour = request.model;
    if (behaviour === 'fail') return json(res, 500, error('server_error', 'the model crashed'));
    if (behaviour === 'leak' || behaviour === 'leak-reject') {
      const key = this.options.apiKey ?? 'sk-none';
      return json(res, behaviour === 'leak' ? 500 : 400, {
        error: {
          message: `upstream gpu-pool-7.internal.example:8443 refused key ${key} (quota)`,
          type: 'invalid_request_error',
          param: `${key} at gpu-pool-7.internal.example`,
          code: 'internal',
        },
      });
    }
    if (behaviour === 'reject') {
      return json(res, 400, {
        error: {
          message: "Unsupported parameter: 'temperature'.",
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'unsupported_parameter',
        },
      });
    }
    const completion = simulateCompletion(request, this.options.maxOutputTokens ?? 4_096);
    const envelope = {
      id: `chatcmpl-up${++this.sequence}`,
      createdSeconds: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    if (!request.stream) {
      const answer = simResponseBody(completion, envelope);
      if (behaviour === 'no-usage') delete answer.usage;
      return json(res, 200, answer);
    }
    await this.stream(res, behaviour, completion, envelope, request.clientWantsUsage);
  }

  private async stream(
    res: http.ServerResponse,
    behaviour: string,
    completion: SimCompletion,
    envelope: { id: string; createdSeconds: number; model: string },
    includeUsage: boolean,
  ): Promise<void> {
    let events = simStreamEvents(
      behaviour === 'slow' ? oneTokenPerChunk(completion) : completion,
      envelope,
    );
    // OpenAI sends the usage chunk only when asked; `no-usage` never does.
    if (!includeUsage || behaviour === 'no-usage') {
      events = events
        .filter((e) => !e.includes('"choices":[]'))
        .map((e) => (e === '[DONE]' ? e : stripUsage(e)));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let closed = false;
    res.once('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.abortedStreams += 1;
      }
    });
    for (const [index, event] of events.entries()) {
      if (closed) return;
      if (behaviour === 'broken' && index === 3) {
        // Let what was written reach the gateway, then drop the connection mid-answer.
        await sleep(30);
        res.socket?.destroy();
        return;
      }
      res.write(sseEvent(event));
      if (behaviour === 'slow') await sleep(this.options.slowChunkDelayMs ?? 50);
    }
    res.end();
  }
}

function oneTokenPerChunk(completion: SimCompletion): SimCompletion {
  return {
    ...completion,
    choices: completion.choices.map((c) => ({
      ...c,
      pieces: c.pieces.flatMap((p) => p.split(/(?<= )/)),
    })),
  };
}

function stripUsage(event: string): string {
  const chunk = JSON.parse(event) as Record<string, unknown>;
  delete chunk.usage;
  return JSON.stringify(chunk);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function error(code: string, message: string): unknown {
  return { error: { message, type: code, param: null, code } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
