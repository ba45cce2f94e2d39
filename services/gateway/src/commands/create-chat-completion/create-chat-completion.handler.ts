import { randomUUID } from 'node:crypto';
import type { UsageObservedData, UsageStatus } from '@billing/contracts';
import { formatUsd } from '@billing/money';
import { Logger } from '@nestjs/common';
import {
  authenticateKey,
  bearerToken,
  countPromptTokens,
  errorBody,
  failures,
  parseChatRequest,
  priceInForce,
  relayCompletion,
  routeModel,
  settleUsage,
  sseEvent,
  StreamRelay,
  worstCaseCost,
  type Caller,
  type CatalogModel,
  type ChatRequest,
  type GatewayFailure,
  type Route,
  type TokenUsage,
} from '../../domain/index.js';
import type { CatalogCache } from '../../infrastructure/catalog-cache.js';
import type { KeyStore } from '../../infrastructure/key-store.js';
import type { LedgerClient } from '../../infrastructure/ledger-client.js';
import type { ChatProvider, ProviderCall } from '../../infrastructure/providers.js';
import type { UsageOutbox } from '../../infrastructure/usage-outbox.js';
import type { ResolvedGatewayOptions } from '../../gateway.options.js';
import type { CompletionSink } from './completion-sink.js';

export interface CreateChatCompletion {
  readonly authorization: string | string[] | undefined;
  readonly body: unknown;
  readonly sink: CompletionSink;
}

export interface GatewayMetricsPort {
  request(model: string, status: number): void;
  usage(status: UsageStatus, estimated: boolean): void;
}

interface Admitted {
  readonly caller: Caller;
  readonly request: ChatRequest;
  readonly model: CatalogModel;
  readonly route: Route;
  readonly promptTokens: number;
  readonly requestId: string;
  readonly startedAtMs: number;
}

interface Finished {
  readonly status: UsageStatus;
  readonly reported: TokenUsage | undefined;
  readonly countedOutputTokens: number;
}

/**
 * `POST /api/v1/chat/completions`: authenticate the key (memory only), admit the request by
 * holding its worst-case cost on the ledger, forward it, relay the answer (streamed or not), and
 * record what it used through the outbox with the hold id, which the ledger's charge captures.
 *
 * The order matters: nothing reaches an upstream without a hold, so concurrent requests can never
 * spend more than the balance; and every admitted request ends with exactly one UsageObserved
 * (whose requestId is the idempotency key downstream), whatever happened to it.
 */
export class CreateChatCompletionHandler {
  private readonly logger = new Logger('ChatCompletions');

  constructor(
    private readonly options: ResolvedGatewayOptions,
    private readonly keys: KeyStore,
    private readonly catalog: CatalogCache,
    private readonly ledger: LedgerClient,
    private readonly providers: { readonly sim: ChatProvider; readonly http: ChatProvider },
    private readonly usage: UsageOutbox,
    private readonly metrics: GatewayMetricsPort,
    private readonly newId: () => string = () => randomUUID().replaceAll('-', ''),
  ) {}

  async execute(command: CreateChatCompletion): Promise<void> {
    const admitted = await this.admit(command);
    if (!admitted.ok) {
      this.metrics.request(modelOf(command.body), admitted.failure.status);
      command.sink.json(admitted.failure.status, errorBody(admitted.failure));
      return;
    }
    const a = admitted.value;
    const call: ProviderCall = {
      route: a.route,
      request: a.request,
      model: a.model,
      requestId: a.requestId,
      nowMs: a.startedAtMs,
      // Only a stream is cut short when its client leaves (that stops the upstream generating);
      // a whole answer is generated, and billed by the upstream, whether anyone waits or not.
      signal: a.request.stream ? command.sink.signal : new AbortController().signal,
    };
    const provider = a.route.kind === 'sim' ? this.providers.sim : this.providers.http;
    const finished = a.request.stream
      ? await this.streamed(provider, call, a, command.sink)
      : await this.whole(provider, call, a, command.sink);
    this.settle(a, finished);
  }

  private async admit(
    command: CreateChatCompletion,
  ): Promise<{ ok: true; value: Admitted } | { ok: false; failure: GatewayFailure }> {
    // 1. Who: from memory, a bad checksum refused before any lookup.
    const auth = authenticateKey(
      bearerToken(command.authorization),
      this.options.apiKeyPepper,
      this.keys,
    );
    if (!auth.ok) return auth;
    // 2. What: the fields the gateway relies on.
    const parsed = parseChatRequest(command.body);
    if (!parsed.ok) return parsed;
    const request = parsed.value;
    // 3. Which model, at which price, through which upstream.
    const catalog = this.catalog.current();
    if (catalog === undefined) return { ok: false, failure: failures.catalogUnavailable() };
    const model = catalog.models.get(request.model);
    const route = routeModel(request.model, this.options.upstreams);
    const startedAtMs = this.options.clock();
    const prices = model === undefined ? undefined : priceInForce(model, startedAtMs);
    if (model === undefined || route === undefined || prices === undefined) {
      return { ok: false, failure: failures.modelNotFound(request.model) };
    }
    // While the outbox cannot be written, no new request is admitted: its usage would live only
    // in this process's memory until the database is back.
    if (!this.usage.available) return { ok: false, failure: failures.databaseUnavailable() };
    // 4. How much at most, held on the ledger before anything is spent.
    const promptTokens = countPromptTokens(request);
    const worst = worstCaseCost({
      promptTokens,
      requestedMaxOutputTokens: request.maxOutputTokens,
      choices: request.choices,
      model,
      prices,
    });
    const requestId = `req_${this.newId()}`;
    const hold = await this.ledger.placeHold(
      auth.value.accountId,
      requestId,
      worst.costNanos,
      this.options.holdTtlSeconds,
    );
    if (!hold.ok) {
      return {
        ok: false,
        failure:
          hold.reason === 'insufficient_funds'
            ? failures.insufficientBalance(
                `Insufficient balance: this request may cost up to $${formatUsd(worst.costNanos)} ` +
                  `(${promptTokens} prompt tokens, up to ${worst.outputTokens} output tokens). ` +
                  'Top up your balance, or lower max_tokens.',
              )
            : failures.ledgerUnavailable(),
      };
    }
    return {
      ok: true,
      value: { caller: auth.value, request, model, route, promptTokens, requestId, startedAtMs },
    };
  }

  private async whole(
    provider: ChatProvider,
    call: ProviderCall,
    a: Admitted,
    sink: CompletionSink,
  ): Promise<Finished> {
    let answer;
    try {
      answer = await provider.complete(call);
    } catch (err) {
      return this.upstreamFailed(a, sink, `the upstream could not be reached: ${message(err)}`);
    }
    if (!answer.ok) return this.upstreamRefused(a, sink, answer.status, answer.body);
    const relayed = relayCompletion(answer.body, a.request.model);
    this.metrics.request(a.request.model, 200);
    sink.json(200, relayed.body, { 'x-request-id': a.requestId });
    return {
      status: 'succeeded',
      reported: relayed.reported,
      countedOutputTokens: relayed.reported === undefined ? relayed.output.countTokens() : 0,
    };
  }

  private async streamed(
    provider: ChatProvider,
    call: ProviderCall,
    a: Admitted,
    sink: CompletionSink,
  ): Promise<Finished> {
    let opened;
    try {
      opened = await provider.stream(call);
    } catch (err) {
      if (sink.clientGone)
        return { status: 'cancelled', reported: undefined, countedOutputTokens: 0 };
      return this.upstreamFailed(a, sink, `the upstream could not be reached: ${message(err)}`);
    }
    if (!opened.ok) return this.upstreamRefused(a, sink, opened.status, opened.body);
    const relay = new StreamRelay({
      modelId: a.request.model,
      clientWantsUsage: a.request.clientWantsUsage,
    });
    this.metrics.request(a.request.model, 200);
    sink.startStream({ 'x-request-id': a.requestId });
    let status: UsageStatus = 'succeeded';
    try {
      for await (const data of opened.events) {
        const out = relay.handle(data);
        if (out !== undefined && !(await sink.send(sseEvent(out)))) {
          status = 'cancelled';
          break; // Leaving the loop closes the upstream connection (see HttpProvider).
        }
        if (relay.done) break;
      }
      if (status === 'succeeded' && !relay.done) {
        status = sink.clientGone ? 'cancelled' : 'failed';
      }
      if (relay.upstreamError) status = 'failed';
    } catch (err) {
      status = sink.clientGone ? 'cancelled' : 'failed';
      if (status === 'failed') {
        this.logger.warn(`request ${a.requestId}: the upstream stream broke: ${message(err)}`);
        await sink.send(
          sseEvent(JSON.stringify(errorBody(failures.upstream('The upstream stream broke off.')))),
        );
      }
    }
    sink.end();
    // The upstream's usage counts only on a complete answer; otherwise the gateway counts.
    const reported = status === 'succeeded' ? relay.reported : undefined;
    return {
      status,
      reported,
      countedOutputTokens: reported === undefined ? relay.output.countTokens() : 0,
    };
  }

  private upstreamFailed(a: Admitted, sink: CompletionSink, why: string): Finished {
    this.logger.warn(`request ${a.requestId} (${a.request.model}): ${why}`);
    const failure = failures.upstream(`The upstream provider failed: ${why}.`);
    this.metrics.request(a.request.model, failure.status);
    sink.json(failure.status, errorBody(failure), { 'x-request-id': a.requestId });
    return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
  }

  /**
   * The upstream answered with an error. A 400 is the client's mistake (a parameter the model does
   * not accept) and is passed on as such; anything else is the gateway's upstream failing (a 401
   * there means the gateway's provider key is wrong, not the client's) and answers 502.
   */
  private upstreamRefused(
    a: Admitted,
    sink: CompletionSink,
    status: number,
    body: unknown,
  ): Finished {
    const upstreamMessage = errorMessageOf(body);
    if (status === 400 || status === 422) {
      const failure = failures.invalidRequest(
        upstreamMessage ?? 'The upstream provider refused the request.',
        errorParamOf(body),
      );
      this.metrics.request(a.request.model, failure.status);
      sink.json(failure.status, errorBody(failure), { 'x-request-id': a.requestId });
      return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
    }
    return this.upstreamFailed(
      a,
      sink,
      `it answered ${status}${upstreamMessage === undefined ? '' : ` (${upstreamMessage})`}`,
    );
  }

  /** Records the usage (and releases the hold when nothing will be charged); never throws. */
  private settle(a: Admitted, finished: Finished): void {
    const settled = settleUsage({
      status: finished.status,
      promptTokens: a.promptTokens,
      reported: finished.reported,
      countedOutputTokens: finished.countedOutputTokens,
    });
    const completedAtMs = Math.max(this.options.clock(), a.startedAtMs);
    const data: UsageObservedData = {
      requestId: a.requestId,
      apiKeyId: a.caller.apiKeyId,
      model: a.request.model,
      ...settled.usage,
      status: settled.status,
      ...(settled.estimated && { estimated: true }),
      holdId: a.requestId,
      startedAt: new Date(a.startedAtMs).toISOString(),
      completedAt: new Date(completedAtMs).toISOString(),
    };
    this.metrics.usage(settled.status, settled.estimated);
    const nothingCharged = settled.usage.inputTokens === 0 && settled.usage.outputTokens === 0;
    if (nothingCharged) {
      // Free the balance now rather than at the hold's TTL; the zero usage still goes out, so the
      // failed request shows in the request log.
      void this.ledger.releaseHold(a.caller.accountId, a.requestId);
    }
    this.usage
      .record({
        eventId: randomUUID(),
        accountId: a.caller.accountId,
        occurredAt: data.completedAt,
        data,
      })
      .catch((err: unknown) => {
        this.logger.error(
          `request ${a.requestId}: its usage could not be recorded: ${message(err)}`,
        );
      });
  }
}

function modelOf(body: unknown): string {
  const model = (body as { model?: unknown } | undefined)?.model;
  return typeof model === 'string' && model.length <= 200 ? model : 'unknown';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorField(body: unknown, name: string): unknown {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>)[name]
    : undefined;
}

function errorMessageOf(body: unknown): string | undefined {
  const m = errorField(body, 'message');
  return typeof m === 'string' ? m.slice(0, 500) : undefined;
}

function errorParamOf(body: unknown): string | null {
  const p = errorField(body, 'param');
  return typeof p === 'string' ? p : null;
}
