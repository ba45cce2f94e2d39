// Versioning rehearsal. Every event is at V1 today, so this test invents a V2 of UsageRecorded
// (test-only: `cost` renamed to `charge`, a required `currency` added) and checks that a stored
// V1 message, as JSON written by today's producers, is read as a V2 through an upcaster. This is
// the shape of the test each real upcaster gets (docs/CONVENTIONS.md 6).
import { Id, Money, OneOf } from './rules.js';
import { decodeEvent, type DecodeOptions } from './decode.js';
import { currentVersion, EVENT_SCHEMAS, EVENT_TYPES } from './events.js';
import { UsageObservedV1Dto, UsageRecordedV1Dto } from './events/usage.js';
import { upcasters, type Upcaster } from './upcasters.js';

// The V1 data minus `cost`, plus the two new fields: what a real UsageRecordedV2Dto would be.
class FakeUsageRecordedV2Dto extends UsageObservedV1Dto {
  @Id() priceVersion!: string;
  @Money('nonNegative') charge!: string;
  @OneOf(['USD']) currency!: 'USD';
}

const v1ToV2: Upcaster = ({ cost, ...rest }) => ({ ...rest, charge: cost, currency: 'USD' });

const rehearsal: DecodeOptions = {
  schemas: { UsageRecorded: { version: 2, dataClass: FakeUsageRecordedV2Dto } },
  upcasters: { UsageRecorded: { 1: v1ToV2 } },
};

// Stored V1, written out by hand as it sits in a topic or an outbox today.
const STORED_V1 = `{"id":"6d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d","type":"UsageRecorded","version":1,
  "occurredAt":"2026-11-27T03:09:32.123Z","accountId":"acct_42","source":"metering",
  "data":{"requestId":"req_1","apiKeyId":"key_1","model":"sim/echo-1","inputTokens":10,
  "outputTokens":5,"status":"succeeded","startedAt":"2026-11-27T03:09:30Z",
  "completedAt":"2026-11-27T03:09:31Z","cost":"0.000015","priceVersion":"pv_1"}}`;

describe('upcasting', () => {
  it('given a stored V1 and a V1 to V2 upcaster, when decoded, then it reads as V2', () => {
    const result = decodeEvent(STORED_V1, rehearsal);
    if (!result.ok) throw new Error(result.reason);
    expect(result.event.version).toBe(2);
    expect(result.event.data).toEqual({
      requestId: 'req_1',
      apiKeyId: 'key_1',
      model: 'sim/echo-1',
      inputTokens: 10,
      outputTokens: 5,
      status: 'succeeded',
      startedAt: '2026-11-27T03:09:30Z',
      completedAt: '2026-11-27T03:09:31Z',
      priceVersion: 'pv_1',
      charge: '0.000015',
      currency: 'USD',
    });
  });

  it('given a V2 current version but no upcaster from V1, then UNSUPPORTED_VERSION', () => {
    const result = decodeEvent(STORED_V1, { schemas: rehearsal.schemas, upcasters: {} });
    expect(result).toEqual({
      ok: false,
      code: 'UNSUPPORTED_VERSION',
      reason: 'version: no upcaster from UsageRecorded v1 to v2',
    });
  });

  it('given an upcaster that throws, then INVALID_DATA and decodeEvent does not throw', () => {
    const result = decodeEvent(STORED_V1, {
      ...rehearsal,
      upcasters: {
        UsageRecorded: {
          1: () => {
            throw new Error('boom');
          },
        },
      },
    });
    expect(result).toEqual({
      ok: false,
      code: 'INVALID_DATA',
      reason: 'data: the upcaster from UsageRecorded v1 to v2 failed: boom',
    });
  });

  it('given an upcaster whose output breaks the V2 rules, then INVALID_DATA from the V2 class', () => {
    const result = decodeEvent(STORED_V1, {
      ...rehearsal,
      upcasters: { UsageRecorded: { 1: (data) => ({ ...data, currency: 'EUR' }) } },
    });
    expect(result).toEqual({
      ok: false,
      code: 'INVALID_DATA',
      reason: 'data.charge: is required; data.currency: must be one of "USD"',
    });
  });

  it('given the built-in registry, then today every event is V1 and nothing is upcast', () => {
    expect(upcasters).toEqual({});
    expect(EVENT_TYPES.map(currentVersion)).toEqual(EVENT_TYPES.map(() => 1));
    expect(EVENT_SCHEMAS.UsageRecorded.dataClass).toBe(UsageRecordedV1Dto);
  });
});
