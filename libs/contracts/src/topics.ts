import type { ContractEvent, EventType } from './events.js';

/** The Kafka topics of CONTRACTS.md. The `.v1` is part of the name: a new major is a new topic. */
export const TOPICS = Object.freeze({
  usageObserved: 'usage.observed.v1',
  usageRecorded: 'usage.recorded.v1',
  payments: 'payments.v1',
  ledger: 'ledger.v1',
  keys: 'keys.v1',
} as const);

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Which event types may travel on which topic (the table of CONTRACTS.md). */
export const TOPIC_EVENT_TYPES = Object.freeze({
  'usage.observed.v1': ['UsageObserved'],
  // CompensationIssued also travels here: metering's AI-insurance claims follow the charge they
  // compensate on the same account's partition, and metering writes no other topic (ADR 007).
  'usage.recorded.v1': ['UsageRecorded', 'CompensationIssued'],
  'payments.v1': [
    'TopUpSettled',
    'DiscountApplied',
    'BonusGranted',
    'CompensationIssued',
    'GiftGranted',
    'ReferralRewarded',
    'ReferralRewardRevoked',
    'CreditsAdjusted',
    'TopUpRefunded',
    'BuilderSubscriptionChanged',
  ],
  'ledger.v1': ['BalanceChanged'],
  'keys.v1': [
    'ApiKeyCreated',
    'ApiKeyUpdated',
    'ApiKeyDeleted',
    'ApiKeyExpiryChanged',
    'ApiKeySpendLimitChanged',
    'ApiKeySubscriptionChanged',
  ],
} as const satisfies { readonly [T in Topic]: readonly EventType[] });

type TypeOnSomeTopic = (typeof TOPIC_EVENT_TYPES)[Topic][number];
// Does not compile while an event type is missing from TOPIC_EVENT_TYPES.
type _EveryEventTypeHasATopic = AssertNever<Exclude<EventType, TypeOnSomeTopic>>;
type AssertNever<T extends never> = T;

/** The events that may appear on `topic`, e.g. `EventOnTopic<'payments.v1'>`. */
export type EventOnTopic<T extends Topic> = Extract<
  ContractEvent,
  { readonly type: (typeof TOPIC_EVENT_TYPES)[T][number] }
>;

export type UsageObservedTopicEvent = EventOnTopic<'usage.observed.v1'>;
export type UsageRecordedTopicEvent = EventOnTopic<'usage.recorded.v1'>;
export type PaymentsEvent = EventOnTopic<'payments.v1'>;
export type LedgerEvent = EventOnTopic<'ledger.v1'>;
export type KeysEvent = EventOnTopic<'keys.v1'>;

const DLQ_SUFFIX = '.dlq';

/** Where a consumer of `topic` parks what it could not decode or validate. */
export function dlqTopic<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isTopic(value: unknown): value is Topic {
  return typeof value === 'string' && Object.hasOwn(TOPIC_EVENT_TYPES, value);
}

/**
 * The event types published on more than one topic, and the topic `topicOf` names for each: the
 * topic of its first producer. CompensationIssued is payments' (operator grants) and also
 * metering's (AI-insurance claims, on `usage.recorded.v1`).
 */
const HOME_TOPIC: Partial<Readonly<Record<EventType, Topic>>> = Object.freeze({
  CompensationIssued: 'payments.v1',
});

const TOPIC_OF_TYPE: ReadonlyMap<EventType, Topic> = new Map(
  (Object.keys(TOPIC_EVENT_TYPES) as Topic[]).flatMap((topic) =>
    TOPIC_EVENT_TYPES[topic]
      .filter((type) => (HOME_TOPIC[type] ?? topic) === topic)
      .map((type): [EventType, Topic] => [type, topic]),
  ),
);

/** Every topic an event type may travel on, in the order of the contract's table. */
export function topicsOf(type: EventType): readonly Topic[] {
  return (Object.keys(TOPIC_EVENT_TYPES) as Topic[]).filter((topic) =>
    (TOPIC_EVENT_TYPES[topic] as readonly EventType[]).includes(type),
  );
}

/** The topic an event type is published on (for a type on several, its first producer's). */
export function topicOf(type: EventType): Topic {
  const topic = TOPIC_OF_TYPE.get(type);
  if (topic === undefined) throw new Error(`no topic for event type ${type}`);
  return topic;
}

/**
 * The event types allowed on `topic`, or `undefined` for a topic that is not in the contract. A
 * dead-letter topic carries what its source topic carries (a replay decodes from it).
 */
export function eventTypesOn(topic: string): readonly EventType[] | undefined {
  const source = topic.endsWith(DLQ_SUFFIX) ? topic.slice(0, -DLQ_SUFFIX.length) : topic;
  return isTopic(source) ? TOPIC_EVENT_TYPES[source] : undefined;
}
