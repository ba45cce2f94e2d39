import { randomUUID } from 'node:crypto';
import type { UsageObservedData, UsageStatus } from '@billing/contracts';
import { formatUsd } from '@billing/money';
import { annotateRequest, inSpan } from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import {
  bearerToken,
  DONE,
  capUsageToHold,
  errorBody,
  failureHeaders,
  failures,
  keySpendLimitReached,
  parseChatRequest,
  priceInForce,
  promptTokenBound,
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
  type ModelPrices,
  type Result,
  type Route,
  type TokenUsage,
} from '../../domain/index.js';
import type { ParsedBody } from '../../infrastructure/body-parser.js';
import type { CatalogCache } from '../../infrastructure/catalog-cache.js';
import type { KeyAuthenticator } from '../../infrastructure/key-authenticator.js';
import type { LedgerClient } from '../../infrastructure/ledger-client.js';
import {
  UPSTREAM_SPAN,
  type ChatProvider,
  type ProviderCall,
} from '../../infrastructure/providers.js';
import type { UsageOutbox } from '../../messaging/usage-outbox.js';
import type { ResolvedGatewayOptions } from '../../gateway.options.js';
import type { CompletionSink } from './completion-sink.js';
import { HoldKeeper, unlessAborted } from './hold-keeper.js';
import type { PlanAdmission } from './plan-admission.js';

export interface CreateChatCompletion {
  readonly authorization: string | string[] | undefined;
  /**
   * Reads and parses the body (within the size limit): called only once the key was accepted, so
   * an unknown key with a large body costs nothing.
   */
  readBody(): Promise<Result<ParsedBody>>;
  readonly sink: CompletionSink;
}

export interface GatewayMetricsPort {
  /** `model` is the client's free text: the port labels only catalog models by name. */
  request(model: string | undefined, status: number): void;
  usage(status: UsageStatus, estimated: boolean): void;
  /**
   * One admitted request that reached its upstream: `provider` is the configured prefix (or
   * `sim`); `upstreamSeconds` until the upstream answered (a whole completion, or a stream's
   * headers); `addedSeconds` is the gateway's own share of the request's time (authentication,
   * body, hold, recording the usage): the total minus the time spent waiting on the upstream.
   */
  timing(provider: string, stream: boolean, upstreamSeconds: number, addedSeconds: number): void;
}

interface Admitted {
  readonly caller: Caller;
  readonly request: ChatRequest;
  readonly model: CatalogModel;
  readonly route: Route;
  readonly promptTokens: number;
  readonly requestId: string;
  readonly startedAtMs: number;
  /** The prices the hold was computed at: what the reported usage is priced at to fit it. */
  readonly prices: ModelPrices;
  /**
   * The hold placed on the ledger (its id is the request id); undefined for a Builder plan key,
   * whose requests the subscription pays for: no hold, nothing drawn from the balance.
   */
  readonly holdNanos: bigint | undefined;
}

/** One admitted request's call to its upstream, whole or streamed. */
interface UpstreamAttempt {
  readonly provider: ChatProvider;
  readonly call: ProviderCall;
  readonly a: Admitted;
  readonly sink: CompletionSink;
  readonly keeper: HoldKeeper;
}

interface Finished {
  readonly status: UsageStatus;
  readonly reported: TokenUsage | undefined;
  readonly countedOutputTokens: number;
  /**
   * The end of the answer, held back until the usage is in the outbox: a whole completion, or a
   * stream's `data: [DONE]` and its end. Absent when the answer was already sent (an error).
   */
  readonly deliver?: () => void;
  /** When the upstream answered: seconds until its answer, and spent waiting on it in all. */
  readonly upstream?: { readonly latencySeconds: number; readonly busySeconds: number };
  /**
   * When a stream's first generated text was sent to the client (the service clock); absent for
   * an answer not streamed or without text. The AI insurance measures time to first token by it.
   */
  readonly firstTokenAtMs?: number;
}

const secondsSince = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * How long an answer waits for its usage to reach the outbox. Beyond it (the database went away
 * while the request ran) the answer goes out and the usage waits in memory, written once the
 * database is back; new requests are refused meanwhile (`UsageOutbox.available`).
 */
const DURABLE_WAIT_MS = 5_000;

/**
 * `POST /api/v1/chat/completions`: authenticate the key (memory, else the keys service) before
 * reading the body, admit the request by holding its worst-case cost on the ledger, forward it,
 * relay the answer (streamed or not), and record what it used through the outbox with the hold
 * id, which the ledger's charge captures.
 *
 * The order matters: nothing reaches an upstream without a hold, so concurrent requests can never
 * spend more than the balance; every admitted request ends with exactly one UsageObserved
 * (whose requestId is the idempotency key downstream), whatever happened to it; and an answer is
 * complete (a whole completion sent, a stream's `[DONE]`) only once its usage is committed to the
 * outbox (issue #11), so a crash after a client got its answer cannot lose the charge.
 *
 * A request never runs past its hold (issue #10): while it runs, a HoldKeeper extends the hold
 * every third of its TTL and ends the request at the overall deadline or when the hold cannot be
 * kept; and the usage reported is capped to what the hold covers, so one request is never
 * charged more than was reserved for it.
 */
export class CreateChatCompletionHandler {
  private readonly logger = new Logger('ChatCompletions');

  constructor(
    private readonly options: ResolvedGatewayOptions,
    private readonly keys: KeyAuthenticator,
    private readonly catalog: CatalogCache,
    private readonly ledger: LedgerClient,
    private readonly providers: { readonly sim: ChatProvider; readonly http: ChatProvider },
    private readonly usage: UsageOutbox,
    private readonly metrics: GatewayMetricsPort,
    private readonly plans: PlanAdmission,
    private readonly newId: () => string = () => randomUUID().replaceAll('-', ''),
  ) {}

  /** Requests being handled, and who waits for there to be none (shutdown). */
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  async execute(command: CreateChatCompletion): Promise<void> {
    this.running += 1;
    try {
      await this.handle(command);
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Resolves once no request is being handled, or after `timeoutMs` (shutdown: the HTTP server has
   * stopped taking requests; a stream whose client left may still be recording its usage).
   */
  idle(timeoutMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async handle(command: CreateChatCompletion): Promise<void> {
    const started = process.hrtime.bigint();
    const admitted = await this.admit(command);
    if (!admitted.ok) {
      this.metrics.request(admitted.model, admitted.failure.status);
      command.sink.json(
        admitted.failure.status,
        errorBody(admitted.failure),
        failureHeaders(admitted.failure),
      );
      return;
    }
    const a = admitted.value;
    // From here on the request's log lines (and its access line) carry the gateway's request id,
    // the one the client gets in `x-request-id`, and the account.
    annotateRequest({ requestId: a.requestId, accountId: a.caller.accountId });
    const keeper = new HoldKeeper(this.ledger, {
      accountId: a.caller.accountId,
      // No hold to keep for a Builder plan request: the keeper only watches the deadline.
      holdId: a.holdNanos === undefined ? undefined : a.requestId,
      holdTtlSeconds: this.options.holdTtlSeconds,
      deadlineSeconds: this.options.requestDeadlineSeconds,
      startedAtMs: a.startedAtMs,
      clock: this.options.nowMs,
    }).start();
    const call: ProviderCall = {
      route: a.route,
      request: a.request,
      model: a.model,
      requestId: a.requestId,
      nowMs: a.startedAtMs,
      promptTokens: a.promptTokens,
      // Only a stream is cut short when its client leaves (that stops the upstream generating);
      // a whole answer is generated, and billed by the upstream, whether anyone waits or not.
      // Both are cut short when the keeper ends the request (deadline, hold lost).
      signal: a.request.stream
        ? AbortSignal.any([command.sink.signal, keeper.signal])
        : keeper.signal,
    };
    const provider = a.route.kind === 'sim' ? this.providers.sim : this.providers.http;
    let finished: Finished;
    try {
      const attempt: UpstreamAttempt = { provider, call, a, sink: command.sink, keeper };
      // The upstream's share of the request's time is a span of its own when tracing is on: an
      // HTTP upstream's client span (named so by the provider), or one around the simulated
      // provider, which makes no call. One span either way, not one around the other.
      const run = () => (a.request.stream ? this.streamed(attempt) : this.whole(attempt));
      finished =
        a.route.kind === 'sim'
          ? await inSpan(UPSTREAM_SPAN, { 'gateway.upstream': 'sim' }, run)
          : await run();
    } finally {
      keeper.stop();
    }
    await this.settle(a, finished);
    finished.deliver?.();
    if (finished.upstream !== undefined) {
      const total = secondsSince(started);
      this.metrics.timing(
        a.route.kind === 'sim' ? 'sim' : a.route.provider.prefix,
        a.request.stream,
        finished.upstream.latencySeconds,
        Math.max(0, total - finished.upstream.busySeconds),
      );
    }
  }

  /** Why the keeper ended a request, in the OpenAI error shape. */
  private keeperFailure(keeper: HoldKeeper): GatewayFailure {
    return keeper.ended === 'deadline'
      ? failures.requestDeadlineExceeded(this.options.requestDeadlineSeconds)
      : failures.holdLost();
  }

  private async admit(
    command: CreateChatCompletion,
  ): Promise<
    | { ok: true; value: Admitted }
    | { ok: false; failure: GatewayFailure; model?: string | undefined }
  > {
    // 1. Who, before a byte of the body is read: memory, else the keys service; a bad checksum
    //    is refused before any lookup.
    const auth = await this.keys.authenticate(bearerToken(command.authorization));
    if (!auth.ok) return auth;
    // 2. What: the body, within the size limit, then the fields the gateway relies on.
    const body = await command.readBody();
    if (!body.ok) return body;
    const parsed = parseChatRequest(body.value.value);
    if (!parsed.ok) return parsed;
    const request = parsed.value;
    const failed = (failure: GatewayFailure) =>
      ({ ok: false, failure, model: request.model }) as const;
    // 3. Which model, at which price, through which upstream.
    const catalog = this.catalog.current();
    if (catalog === undefined) return failed(failures.catalogUnavailable());
    const model = catalog.models.get(request.model);
    const route = routeModel(request.model, this.options.upstreams);
    const startedAtMs = this.options.nowMs();
    const prices = model === undefined ? undefined : priceInForce(model, startedAtMs);
    if (model === undefined || route === undefined || prices === undefined) {
      return failed(failures.modelNotFound(request.model));
    }
    // While the outbox cannot be written, no new request is admitted: its usage would live only
    // in this process's memory until the database is back.
    if (!this.usage.available) return failed(failures.databaseUnavailable());
    // 3b. The key's plan: a Builder key is limited (models, requests per minute and week, on the
    //     counter every instance shares) and billed by its subscription, so it places no hold.
    let byPlan;
    try {
      byPlan = await this.plans.admit(auth.value, request.model, startedAtMs);
    } catch (err) {
      this.logger.error(`the plan's request counter could not be reached: ${message(err)}`);
      return failed(failures.databaseUnavailable());
    }
    if (!byPlan.ok) return failed(byPlan.failure);
    if (auth.value.plan === 'builder') {
      const promptTokens = body.value.promptTokens ?? promptTokenBound(request);
      const value = {
        caller: auth.value,
        request,
        model,
        route,
        promptTokens,
        startedAtMs,
        prices,
      };
      return {
        ok: true,
        value: { ...value, requestId: `req_${this.newId()}`, holdNanos: undefined },
      };
    }
    // 4. How much at most, held on the ledger before anything is spent. The prompt's tokens are
    //    bounded in linear time (a worker did it for a large body): never fewer than the real count.
    const promptTokens = body.value.promptTokens ?? promptTokenBound(request);
    const worst = worstCaseCost({
      promptTokens,
      requestedMaxOutputTokens: request.maxOutputTokens,
      choices: request.choices,
      model,
      prices,
    });
    const requestId = `req_${this.newId()}`;
    const hold = await this.ledger.placeHold(
      auth.value,
      requestId,
      worst.costNanos,
      this.options.holdTtlSeconds,
    );
    if (!hold.ok) {
      // No answer is not "no hold": the ledger may have placed it after the call gave up (a
      // timeout, a 5xx after the commit). Release it now rather than keep the money unavailable
      // for the whole TTL; if that fails too, the TTL still frees it.
      if (hold.reason === 'unavailable')
        void this.ledger.releaseHold(auth.value.accountId, requestId);
      if (hold.reason === 'key_spend_limit') {
        const { dailyNanos, monthlyNanos } = auth.value.spendLimits;
        const limitNanos = hold.period === 'daily' ? dailyNanos : monthlyNanos;
        return failed(keySpendLimitReached(hold.period, limitNanos, this.options.nowMs()));
      }
      return failed(
        hold.reason === 'insufficient_funds'
          ? failures.insufficientBalance(
              `Insufficient balance: this request may cost up to $${formatUsd(worst.costNanos)} ` +
                `(${promptTokens} prompt tokens, up to ${worst.outputTokens} output tokens). ` +
                'Top up your balance, or lower max_tokens.',
            )
          : failures.ledgerUnavailable(),
      );
    }
    return {
      ok: true,
      value: {
        caller: auth.value,
        request,
        model,
        route,
        promptTokens,
        requestId,
        startedAtMs,
        prices,
        holdNanos: worst.costNanos,
      },
    };
  }

  private async whole({ provider, call, a, sink, keeper }: UpstreamAttempt): Promise<Finished> {
    let answer;
    const calledAt = process.hrtime.bigint();
    try {
      answer = await unlessAborted(provider.complete(call), keeper.signal);
    } catch (err) {
      if (keeper.ended === undefined) {
        return this.upstreamFailed(a, sink, unreachable(err));
      }
    }
    if (answer === undefined) {
      // The keeper ended it: nothing was sent to the client, nothing is billed.
      const failure = this.keeperFailure(keeper);
      this.logger.warn(`request ${a.requestId} (${a.request.model}): ended, ${failure.code}`);
      this.metrics.request(a.request.model, failure.status);
      sink.json(failure.status, errorBody(failure), { 'x-request-id': a.requestId });
      return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
    }
    const waited = secondsSince(calledAt);
    const upstream = { latencySeconds: waited, busySeconds: waited };
    if (!answer.ok) {
      return { ...this.upstreamRefused(a, sink, answer.status, answer.body), upstream };
    }
    const relayed = relayCompletion(answer.body, a.request.model);
    this.metrics.request(a.request.model, 200);
    return {
      upstream,
      status: 'succeeded',
      reported: relayed.reported,
      countedOutputTokens: relayed.reported === undefined ? relayed.output.countTokens() : 0,
      deliver: () => sink.json(200, relayed.body, { 'x-request-id': a.requestId }),
    };
  }

  private async streamed({ provider, call, a, sink, keeper }: UpstreamAttempt): Promise<Finished> {
    let opened;
    const calledAt = process.hrtime.bigint();
    try {
      opened = await unlessAborted(provider.stream(call), keeper.signal);
    } catch (err) {
      if (sink.clientGone)
        return { status: 'cancelled', reported: undefined, countedOutputTokens: 0 };
      if (keeper.ended === undefined) {
        return this.upstreamFailed(a, sink, unreachable(err));
      }
    }
    if (opened === undefined) {
      const failure = this.keeperFailure(keeper);
      this.metrics.request(a.request.model, failure.status);
      sink.json(failure.status, errorBody(failure), { 'x-request-id': a.requestId });
      return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
    }
    const latencySeconds = secondsSince(calledAt);
    if (!opened.ok) {
      return {
        ...this.upstreamRefused(a, sink, opened.status, opened.body),
        upstream: { latencySeconds, busySeconds: latencySeconds },
      };
    }
    const relay = new StreamRelay({
      modelId: a.request.model,
      clientWantsUsage: a.request.clientWantsUsage,
    });
    this.metrics.request(a.request.model, 200);
    sink.startStream({ 'x-request-id': a.requestId });
    let status: UsageStatus = 'succeeded';
    let firstTokenAtMs: number | undefined;
    // The upstream's `[DONE]`, sent once the usage is in the outbox (see `deliver`).
    let done: string | undefined;
    try {
      const events = upstreamEvents(opened.events, keeper.signal);
      for (;;) {
        // An upstream that ignores the abort, or a client that stopped reading, cannot hold the
        // request past the keeper: each wait is cut short when it ends the request.
        const next = await unlessAborted(events.next(), keeper.signal);
        if (next === undefined || next.done === true) break;
        const hadText = !relay.output.isEmpty;
        const out = relay.handle(next.value);
        if (out === DONE) {
          done = out;
        } else if (out !== undefined) {
          // The first chunk that carries generated text: the time to first token ends as it goes.
          if (!hadText && !relay.output.isEmpty) firstTokenAtMs ??= this.options.nowMs();
          const sent = await unlessAborted(sink.send(sseEvent(out)), keeper.signal);
          if (sent === false) {
            status = 'cancelled';
            break; // Leaving the loop closes the upstream connection (see HttpProvider).
          }
        }
        if (relay.done) break;
      }
      void Promise.resolve(events.return?.()).catch(() => undefined);
      if (keeper.ended !== undefined) {
        status = 'failed';
      } else if (status === 'succeeded' && !relay.done) {
        status = sink.clientGone ? 'cancelled' : 'failed';
      }
      if (relay.upstreamError) {
        status = 'failed';
        this.logger.warn(
          `request ${a.requestId} (${a.request.model}): the upstream sent an error event: ` +
            this.redact(relay.upstreamErrorDetail ?? ''),
        );
      }
    } catch (err) {
      status = sink.clientGone ? 'cancelled' : 'failed';
      if (status === 'failed' && keeper.ended === undefined) {
        this.logger.warn(
          `request ${a.requestId}: the upstream stream broke: ${this.redact(message(err))}`,
        );
        await sink.send(
          sseEvent(JSON.stringify(errorBody(failures.upstream('The upstream stream broke off.')))),
        );
      }
    }
    if (keeper.ended !== undefined && !sink.clientGone) {
      // The client learns why its stream stopped, in the error shape OpenAI's clients raise.
      const failure = this.keeperFailure(keeper);
      this.logger.warn(`request ${a.requestId} (${a.request.model}): ended, ${failure.code}`);
      void sink.send(sseEvent(JSON.stringify(errorBody(failure))));
    }
    // The upstream's usage counts only on a complete answer; otherwise the gateway counts.
    const reported = status === 'succeeded' ? relay.reported : undefined;
    return {
      // Relaying the stream is upstream time: the gateway forwards each event as it arrives.
      upstream: { latencySeconds, busySeconds: secondsSince(calledAt) },
      status,
      reported,
      countedOutputTokens: reported === undefined ? relay.output.countTokens() : 0,
      ...(firstTokenAtMs !== undefined && { firstTokenAtMs }),
      deliver: () => {
        if (done !== undefined) void sink.send(sseEvent(done));
        sink.end();
      },
    };
  }

  /**
   * The client learns only a fixed message (issue #10): upstream error text can name internal
   * hosts or repeat fragments of the platform's provider key. The details go to the log, redacted.
   */
  private upstreamFailed(a: Admitted, sink: CompletionSink, failure: UpstreamFailure): Finished {
    this.logger.warn(`request ${a.requestId} (${a.request.model}): ${this.redact(failure.detail)}`);
    const answer = failures.upstream(failure.message);
    this.metrics.request(a.request.model, answer.status);
    sink.json(answer.status, errorBody(answer), { 'x-request-id': a.requestId });
    return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
  }

  /**
   * The upstream answered with an error. A 400 is the client's mistake (a parameter the model does
   * not accept) and is passed on as such, with a fixed message and the parameter's name when it
   * is a plain field name; anything else is the gateway's upstream failing (a 401 there means the
   * gateway's provider key is wrong, not the client's) and answers 502.
   */
  private upstreamRefused(
    a: Admitted,
    sink: CompletionSink,
    status: number,
    body: unknown,
  ): Finished {
    const upstreamMessage = errorMessageOf(body);
    if (status === 400 || status === 422) {
      this.logger.warn(
        `request ${a.requestId} (${a.request.model}): the upstream refused it with ${status}` +
          `${upstreamMessage === undefined ? '' : `: ${this.redact(upstreamMessage)}`}`,
      );
      const param = errorParamOf(body);
      const failure = failures.invalidRequest(
        param === null
          ? 'The upstream provider refused the request as invalid.'
          : `The upstream provider refused the request as invalid: check \`${param}\`.`,
        param,
      );
      this.metrics.request(a.request.model, failure.status);
      sink.json(failure.status, errorBody(failure), { 'x-request-id': a.requestId });
      return { status: 'failed', reported: undefined, countedOutputTokens: 0 };
    }
    return this.upstreamFailed(a, sink, {
      message: `The upstream provider failed (it answered ${status}).`,
      detail:
        `the upstream answered ${status}` +
        `${upstreamMessage === undefined ? '' : ` (${upstreamMessage})`}`,
    });
  }

  /** The text without any of the platform's provider keys, nor anything shaped like a key. */
  private redact(text: string): string {
    let out = text;
    for (const provider of this.options.upstreams.values()) {
      if (provider.apiKey !== undefined && provider.apiKey.length >= 4) {
        out = out.split(provider.apiKey).join('[redacted]');
      }
    }
    return redactSecrets(out);
  }

  /**
   * Records the usage (and releases the hold when nothing will be charged) and resolves once it is
   * committed to the outbox, or after DURABLE_WAIT_MS while the database is away; never throws.
   */
  private async settle(a: Admitted, finished: Finished): Promise<void> {
    const reported = settleUsage({
      status: finished.status,
      promptTokens: a.promptTokens,
      reported: finished.reported,
      countedOutputTokens: finished.countedOutputTokens,
    });
    // Never charge one request more than its hold covered: the excess is the platform's. (A
    // Builder plan request has no hold: it is never charged to the balance.)
    const capped =
      a.holdNanos === undefined
        ? { usage: reported.usage, capped: false }
        : capUsageToHold(reported.usage, a.prices, a.holdNanos);
    if (capped.capped) {
      this.logger.warn(
        `request ${a.requestId} (${a.request.model}): usage of ${reported.usage.inputTokens}+` +
          `${reported.usage.outputTokens} tokens exceeds its hold of $${formatUsd(a.holdNanos ?? 0n)}; ` +
          `billed ${capped.usage.inputTokens}+${capped.usage.outputTokens}`,
      );
    }
    const settled = {
      status: reported.status,
      usage: capped.usage,
      estimated: reported.estimated || capped.capped,
    };
    const completedAtMs = Math.max(this.options.nowMs(), a.startedAtMs);
    const data: UsageObservedData = {
      requestId: a.requestId,
      apiKeyId: a.caller.apiKeyId,
      model: a.request.model,
      ...settled.usage,
      status: settled.status,
      ...(settled.estimated && { estimated: true }),
      ...(a.holdNanos === undefined ? { plan: a.caller.plan } : { holdId: a.requestId }),
      startedAt: new Date(a.startedAtMs).toISOString(),
      completedAt: new Date(completedAtMs).toISOString(),
      ...(finished.firstTokenAtMs !== undefined && {
        // Within [startedAt, completedAt] whatever the clock did, as the contract requires.
        firstTokenAt: new Date(
          Math.min(Math.max(finished.firstTokenAtMs, a.startedAtMs), completedAtMs),
        ).toISOString(),
      }),
    };
    this.metrics.usage(settled.status, settled.estimated);
    const nothingCharged = settled.usage.inputTokens === 0 && settled.usage.outputTokens === 0;
    if (nothingCharged && a.holdNanos !== undefined) {
      // Free the balance now rather than at the hold's TTL; the zero usage still goes out, so the
      // failed request shows in the request log.
      void this.ledger.releaseHold(a.caller.accountId, a.requestId);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const written = this.usage.record({
        eventId: randomUUID(),
        accountId: a.caller.accountId,
        occurredAt: data.completedAt,
        data,
      });
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), DURABLE_WAIT_MS);
      });
      if ((await Promise.race([written, late])) === 'late') {
        this.logger.warn(
          `request ${a.requestId}: answered before its usage reached the outbox (the database ` +
            `is away); the usage waits in memory until it is back`,
        );
      }
    } catch (err) {
      this.logger.error(`request ${a.requestId}: its usage could not be recorded: ${message(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

interface UpstreamFailure {
  /** What the client is told: fixed text, never the upstream's. */
  readonly message: string;
  /** What the log is told (redacted before it is written). */
  readonly detail: string;
}

function unreachable(err: unknown): UpstreamFailure {
  return {
    message: 'The upstream provider could not be reached.',
    detail: `the upstream could not be reached: ${message(err)}`,
  };
}

/**
 * Bearer tokens and strings shaped like provider keys (`sk-...`, long opaque tokens) replaced, for
 * log lines that quote an upstream's error text.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/(bearer\s+)\S+/gi, '$1[redacted]')
    .replace(/\b(sk|pk|rk|key)[-_][A-Za-z0-9_-]{4,}/gi, '[redacted]')
    .replace(/[A-Za-z0-9_-]{32,}/g, '[redacted]');
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

/** The upstream's `param`, only when it is a plain field name (`max_tokens`, `messages[0].content`). */
function errorParamOf(body: unknown): string | null {
  const p = errorField(body, 'param');
  return typeof p === 'string' && /^[A-Za-z0-9_.[\]]{1,64}$/.test(p) ? p : null;
}

/**
 * The upstream's events as an iterator that stops at once when `signal` aborts, whatever the
 * source does with the abort.
 */
function upstreamEvents(
  source: AsyncIterable<string> | Iterable<string>,
  signal: AbortSignal,
): AsyncIterator<string> {
  const inner: AsyncIterator<string> | Iterator<string> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  return {
    next: async () => (signal.aborted ? { done: true, value: undefined } : inner.next()),
    return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
  };
}
