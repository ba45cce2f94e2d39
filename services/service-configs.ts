import { getMetadataStorage } from 'class-validator';
import { GatewayEnv, loadGatewayEnv } from './gateway/src/config.js';
import { KeysEnv, loadKeysEnv } from './keys/src/config.js';
import { LedgerEnv, loadLedgerEnv } from './ledger/src/config.js';
import { MeteringEnv, loadMeteringEnv } from './metering/src/config.js';
import { PaymentsEnv, loadPaymentsEnv } from './payments/src/config.js';

// Each service's configuration class and loader, for the tests that check deployment files
// (docker-compose.yml, deploy/kubernetes) against what the services really read.

export type Loader = (env: Record<string, string | undefined>) => object;

export const SERVICE_CONFIGS: Record<
  string,
  { cls: new () => object; load: Loader; script: string }
> = {
  gateway: { cls: GatewayEnv, load: loadGatewayEnv, script: 'start:gateway' },
  keys: { cls: KeysEnv, load: loadKeysEnv, script: 'start:keys' },
  metering: { cls: MeteringEnv, load: loadMeteringEnv, script: 'start:metering' },
  ledger: { cls: LedgerEnv, load: loadLedgerEnv, script: 'start:ledger' },
  payments: { cls: PaymentsEnv, load: loadPaymentsEnv, script: 'start:payments' },
};

/** Every variable a configuration class validates or defaults. */
export function knownVariables(cls: new () => object): Set<string> {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(cls, '', true, false)
    .map((m) => m.propertyName);
  return new Set([...validated, ...Object.keys(new cls())]);
}
