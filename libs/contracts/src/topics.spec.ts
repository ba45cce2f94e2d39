import { FULL } from './__fixtures__/examples.js';
import { decodeEvent } from './decode.js';
import { EVENT_TYPES } from './events.js';
import {
  dlqTopic,
  eventTypesOn,
  isTopic,
  TOPIC_EVENT_TYPES,
  topicOf,
  topicsOf,
  TOPICS,
  type PaymentsEvent,
  type Topic,
} from './topics.js';

describe('topics', () => {
  it('given the contract, then the topic names are exactly those of CONTRACTS.md', () => {
    expect(TOPICS).toEqual({
      usageObserved: 'usage.observed.v1',
      usageRecorded: 'usage.recorded.v1',
      payments: 'payments.v1',
      ledger: 'ledger.v1',
      keys: 'keys.v1',
    });
    expect(Object.keys(TOPIC_EVENT_TYPES).sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('given every event type, then it travels on exactly one topic, CompensationIssued on two', () => {
    const all = (Object.keys(TOPIC_EVENT_TYPES) as Topic[]).flatMap((t) => TOPIC_EVENT_TYPES[t]);
    expect([...new Set(all)].sort()).toEqual([...EVENT_TYPES].sort());
    const shared = EVENT_TYPES.filter((type) => topicsOf(type).length > 1);
    expect(shared).toEqual(['CompensationIssued']);
    expect(topicsOf('CompensationIssued')).toEqual(['usage.recorded.v1', 'payments.v1']);
    expect(topicOf('CompensationIssued')).toBe('payments.v1');
    expect(topicOf('UsageObserved')).toBe('usage.observed.v1');
    expect(topicOf('UsageRecorded')).toBe('usage.recorded.v1');
    expect(topicOf('CreditsAdjusted')).toBe('payments.v1');
    expect(topicOf('BalanceChanged')).toBe('ledger.v1');
    expect(topicOf('ApiKeyDeleted')).toBe('keys.v1');
  });

  it('given a topic, then its dead-letter topic is <topic>.dlq', () => {
    expect(dlqTopic(TOPICS.payments)).toBe('payments.v1.dlq');
    expect(eventTypesOn('payments.v1.dlq')).toBe(TOPIC_EVENT_TYPES['payments.v1']);
  });

  it('given a name outside the contract, then it is not a topic', () => {
    expect(isTopic('payments.v2')).toBe(false);
    expect(isTopic('constructor')).toBe(false);
    expect(eventTypesOn('toString')).toBeUndefined();
    expect(isTopic('keys.v1')).toBe(true);
  });

  it('given a payments consumer, then its switch over PaymentsEvent is exhaustive', () => {
    // Compiles only while every payments event has a case: switch-exhaustiveness-check and the
    // `never` below keep consumers honest when an event is added.
    const summarize = (event: PaymentsEvent): string => {
      switch (event.type) {
        case 'TopUpSettled':
        case 'DiscountApplied':
        case 'BonusGranted':
        case 'CompensationIssued':
        case 'GiftGranted':
        case 'ReferralRewarded':
        case 'TopUpRefunded':
          return `+${event.data.amount}`;
        case 'ReferralRewardRevoked':
          return `-${event.data.amount}`;
        case 'CreditsAdjusted':
          return `adjust ${event.data.amount}`;
        case 'BuilderSubscriptionChanged':
          return event.data.active ? 'builder on' : 'builder off';
        default: {
          const unreachable: never = event;
          return unreachable;
        }
      }
    };
    const result = decodeEvent(JSON.stringify(FULL.CreditsAdjusted), { topic: TOPICS.payments });
    expect(result.ok && summarize(result.event)).toBe('adjust -2.5');
  });
});
