import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import type { DeadLetterState, StoredDeadLetter } from '@billing/messaging';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { AdminOnly, OperatorRead } from './auth.js';
import { decodeKeysetCursor, encodeKeysetCursor } from './cursor.js';
import { PageQuery } from './dto.js';
import {
  INSTANT_PROPERTY,
  NULLABLE_INSTANT_PROPERTY,
  nullableStringProperty,
} from './openapi-properties.js';
import { ApiError } from './errors.js';
import { SERVICE_NAME } from './health.js';
import { ServiceMessaging } from './messaging.js';

// The operator's dead-letter desk (docs/adr/015-dead-letter-desk.md, CONTRACTS.md "Dead letters"):
// every service serves the dead letters of the consumers it runs, from its own database, under
// `/v1/admin/dead-letters/<service>`; the fronts route that prefix to the service it names.

/** How much of a dead letter's payload a listing shows: enough to see what it is about. */
export const DEAD_LETTER_PAYLOAD_MAX_CHARS = 4096;

export class DeadLetterParams {
  @ApiProperty({ example: 'metering' })
  @Matches(/^[a-z]{1,32}$/, { message: 'service must be a service name' })
  service!: string;
}

export class DeadLetterIdParams extends DeadLetterParams {
  @ApiProperty({ example: '42' })
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'id must be a dead letter id' })
  id!: string;
}

export class DeadLetterListQuery extends PageQuery(100, 50) {
  @ApiPropertyOptional({ description: 'Only the dead letters of this source topic' })
  @IsOptional()
  @MaxLength(249)
  topic?: string;

  @ApiPropertyOptional({ enum: ['pending', 'replayed', 'all'], default: 'pending' })
  @IsOptional()
  @IsIn(['pending', 'replayed', 'all'])
  state?: DeadLetterState;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(200)
  cursor?: string;
}

export interface DeadLetterView {
  readonly id: string;
  readonly service: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly reason: string;
  readonly error: string | null;
  readonly deadLetteredAt: string;
  readonly consumerGroup: string;
  readonly replayedAt: string | null;
  readonly replayOutcome: 'applied' | 'duplicate' | null;
  /** The record's value as text, cut at {@link DEAD_LETTER_PAYLOAD_MAX_CHARS}; null without one. */
  readonly payload: string | null;
  readonly payloadTruncated: boolean;
}

export interface DeadLetterCountView {
  readonly topic: string;
  readonly consumerGroup: string;
  readonly pending: number;
  readonly replayed: number;
}

export interface DeadLetterPage {
  readonly service: string;
  readonly data: DeadLetterView[];
  readonly nextCursor: string | null;
  readonly counts: DeadLetterCountView[];
}

export interface DeadLetterReplayView {
  readonly id: string;
  readonly outcome: 'applied' | 'duplicate';
  readonly replayedAt: string;
}

// The answers' schemas in every service's OpenAPI document (`/docs`), for clients to read and for
// the console's check (apps/console/src/api-contract.spec.ts). Each class implements the view the
// controller returns, so a field the view gains must be declared here too.

const OUTCOMES = ['applied', 'duplicate'];

/** One dead letter: where it came from, why it was set aside, and its payload. */
export class DeadLetterResponse implements DeadLetterView {
  @ApiProperty({ example: '42' })
  readonly id!: string;
  @ApiProperty({ example: 'ledger', description: 'The service whose consumer set it aside' })
  readonly service!: string;
  @ApiProperty({ example: 'payments.v1', description: 'The source topic' })
  readonly topic!: string;
  @ApiProperty({ example: 0 })
  readonly partition!: number;
  @ApiProperty({ example: '1042', description: 'The record offset (an int8, as a string)' })
  readonly offset!: string;
  @ApiProperty(nullableStringProperty('acct_42'))
  readonly key!: string | null;
  @ApiProperty(nullableStringProperty('evt_01J9'))
  readonly eventId!: string | null;
  @ApiProperty(nullableStringProperty('RefundIssued'))
  readonly eventType!: string | null;
  @ApiProperty({ example: 'handler_failed', description: 'Why it was set aside' })
  readonly reason!: string;
  @ApiProperty({ ...nullableStringProperty(), description: 'The error, when one was thrown' })
  readonly error!: string | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly deadLetteredAt!: string;
  @ApiProperty({ example: 'ledger-payments' })
  readonly consumerGroup!: string;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly replayedAt!: string | null;
  @ApiProperty({ enum: OUTCOMES, nullable: true, description: 'null until replayed' })
  readonly replayOutcome!: 'applied' | 'duplicate' | null;
  @ApiProperty({
    ...nullableStringProperty(),
    description: `The record's value as text, cut at ${DEAD_LETTER_PAYLOAD_MAX_CHARS} characters; null without one`,
  })
  readonly payload!: string | null;
  @ApiProperty({ description: 'Whether payload was cut' })
  readonly payloadTruncated!: boolean;
}

/** How many dead letters a topic and consumer group hold, pending and replayed. */
export class DeadLetterCountResponse implements DeadLetterCountView {
  @ApiProperty({ example: 'payments.v1' })
  readonly topic!: string;
  @ApiProperty({ example: 'ledger-payments' })
  readonly consumerGroup!: string;
  @ApiProperty({ example: 1 })
  readonly pending!: number;
  @ApiProperty({ example: 0 })
  readonly replayed!: number;
}

/** `GET /v1/admin/dead-letters/{service}`: one page, newest first, and the counts. */
export class DeadLetterPageResponse implements DeadLetterPage {
  @ApiProperty({ example: 'ledger' })
  readonly service!: string;
  @ApiProperty({ type: [DeadLetterResponse] })
  readonly data!: DeadLetterResponse[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next (older) page; null on the last page',
  })
  readonly nextCursor!: string | null;
  @ApiProperty({ type: [DeadLetterCountResponse], description: 'Of every topic and group' })
  readonly counts!: DeadLetterCountResponse[];
}

/** `POST /v1/admin/dead-letters/{service}/{id}/replay`: the dead letter applied once more. */
export class DeadLetterReplayResponse implements DeadLetterReplayView {
  @ApiProperty({ example: '42' })
  readonly id!: string;
  @ApiProperty({
    enum: OUTCOMES,
    description: 'duplicate: the consumer had already applied the event',
  })
  readonly outcome!: 'applied' | 'duplicate';
  @ApiProperty(INSTANT_PROPERTY)
  readonly replayedAt!: string;
}

/** The envelope's `id` and `type`, when the payload is a JSON object that has them. */
function envelopeOf(value: Buffer | null): { id?: string; type?: string } {
  if (value === null) return {};
  try {
    const parsed = JSON.parse(value.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { id, type } = parsed as Record<string, unknown>;
    return {
      ...(typeof id === 'string' ? { id } : {}),
      ...(typeof type === 'string' ? { type } : {}),
    };
  } catch {
    return {}; // the reason says why it is not JSON; the payload shows what it is
  }
}

export function deadLetterView(service: string, letter: StoredDeadLetter): DeadLetterView {
  const envelope = envelopeOf(letter.value);
  const text = letter.value === null ? null : letter.value.toString('utf8');
  return {
    id: letter.id,
    service,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    key: letter.key,
    eventId: letter.messageId ?? envelope.id ?? null,
    eventType: envelope.type ?? null,
    reason: letter.reason,
    error: letter.error,
    deadLetteredAt: letter.createdAt.toISOString(),
    consumerGroup: letter.consumerName,
    replayedAt: letter.replayedAt?.toISOString() ?? null,
    replayOutcome: letter.replayOutcome,
    payload: text === null ? null : text.slice(0, DEAD_LETTER_PAYLOAD_MAX_CHARS),
    payloadTruncated: text !== null && text.length > DEAD_LETTER_PAYLOAD_MAX_CHARS,
  };
}

const validCursor = {
  at: (at: string) => !Number.isNaN(Date.parse(at)),
  id: (id: string) => /^[1-9][0-9]{0,17}$/.test(id),
};

/**
 * `/v1/admin/dead-letters/<service>`: the admin token lists and replays, the auditor token only
 * lists (the guard refuses it every POST). Mounted in every service by ServiceKitModule; it serves
 * the dead letters of the service's ServiceMessaging, found among its providers.
 */
@ApiTags('dead-letters')
@ApiBearerAuth()
@Controller('v1/admin/dead-letters/:service')
export class DeadLettersController {
  private found: ServiceMessaging | null | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get()
  @OperatorRead()
  @ApiOkResponse({ type: DeadLetterPageResponse })
  async list(
    @Param() { service }: DeadLetterParams,
    @Query() { topic, state, limit, cursor }: DeadLetterListQuery,
  ): Promise<DeadLetterPage> {
    const messaging = this.messagingOf(service);
    const after = cursor === undefined ? undefined : decodeKeysetCursor(cursor, validCursor);
    if (cursor !== undefined && after === undefined) {
      throw new ApiError(400, 'DEAD_LETTERS.INVALID_CURSOR', 'cursor is not one this route gave');
    }
    const pageSize = limit ?? 50;
    const [page, counts] = await Promise.all([
      messaging.listDeadLetters({
        ...(topic === undefined ? {} : { topic }),
        state: state ?? 'pending',
        limit: pageSize,
        ...(after === undefined ? {} : { beforeId: after.id }),
      }),
      messaging.countDeadLetters(),
    ]);
    const last = page.letters[page.letters.length - 1];
    return {
      service: this.service,
      data: page.letters.map((l) => deadLetterView(this.service, l)),
      nextCursor:
        page.more && last !== undefined
          ? encodeKeysetCursor(last.createdAt.toISOString(), last.id)
          : null,
      counts: counts.map((c) => ({
        topic: c.topic,
        consumerGroup: c.consumerName,
        pending: c.pending,
        replayed: c.replayed,
      })),
    };
  }

  @Post(':id/replay')
  @AdminOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: DeadLetterReplayResponse })
  async replay(@Param() { service, id }: DeadLetterIdParams): Promise<DeadLetterReplayView> {
    const result = await this.messagingOf(service).replayDeadLetter(id);
    switch (result.kind) {
      case 'not-found':
        throw new ApiError(404, 'DEAD_LETTERS.NOT_FOUND', `no dead letter ${id} in ${service}`);
      case 'refused':
        throw new ApiError(
          422,
          'DEAD_LETTERS.STILL_REFUSED',
          `the consumer still refuses it (${result.reason}${result.error === undefined ? '' : `: ${result.error}`}); nothing was applied`,
        );
      case 'replayed': {
        const { letter } = result;
        const replayedAt = letter.replayedAt?.toISOString() ?? '';
        if (!result.first) {
          throw new ApiError(
            409,
            'DEAD_LETTERS.ALREADY_REPLAYED',
            `dead letter ${id} was replayed at ${replayedAt} (${letter.replayOutcome ?? 'applied'}); it is not applied again`,
          );
        }
        return { id, outcome: letter.replayOutcome ?? 'applied', replayedAt };
      }
    }
  }

  /** This service's messaging; another service's name is a 404, as its routes are not here. */
  private messagingOf(service: string): ServiceMessaging {
    if (service !== this.service) {
      throw new ApiError(404, 'NOT_FOUND', `this is the ${this.service} service, not ${service}`);
    }
    this.found ??=
      this.discovery
        .getProviders()
        .map((wrapper) => wrapper.instance as unknown)
        .find((instance): instance is ServiceMessaging => instance instanceof ServiceMessaging) ??
      null;
    if (this.found === null) {
      throw new ApiError(
        404,
        'DEAD_LETTERS.NO_CONSUMERS',
        `the ${service} service consumes nothing`,
      );
    }
    return this.found;
  }
}
