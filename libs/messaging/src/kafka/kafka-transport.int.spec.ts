import { kafkaHarness } from '../testing/kafka-harness.js';
import { describeTransportContract } from '../testing/transport-contract.js';

describeTransportContract('kafka', () => Promise.resolve(kafkaHarness()));
