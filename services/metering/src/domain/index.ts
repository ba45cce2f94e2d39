// The metering domain: pure functions, no Nest, no database, no Kafka. See README.md in this folder.
export {
  MAX_MODEL_ID_LENGTH,
  MODEL_ID_PATTERN,
  PriceCatalog,
  isModelId,
  parseUsdPrices,
  priceVersionId,
  samePrices,
  withDefaultPrices,
  type CatalogEntry,
  type ModelInfo,
  type PriceVersion,
  type PricesPerMillionTokens,
  type UsdPricesPerMillionTokens,
} from './catalog.js';
export {
  DEFAULT_MODELS,
  DEFAULT_PRICES_EFFECTIVE_FROM,
  defaultCatalog,
  defaultModels,
  defaultPriceVersions,
  type DefaultModel,
} from './default-catalog.js';
export {
  priceUsage,
  validateUsage,
  type BilledTokens,
  type PricedUsage,
  type TokenUsage,
} from './pricing.js';
export {
  MAX_DISPLAY_NAME_LENGTH,
  validatePriceUpdate,
  type AcceptedPriceUpdate,
  type PriceUpdateContext,
  type PriceUpdateRequest,
} from './price-update.js';
export { fail, ok, type MeteringError, type MeteringErrorCode, type Result } from './errors.js';
export {
  priceObservation,
  type PricedObservation,
  type PricingResult,
  type UnpriceableCode,
} from './price-observation.js';
export {
  INSURANCE_RULES,
  claimIdOf,
  compensationIdOf,
  evaluateRequest,
  formatBasisPoints,
  lowestTtftThresholdMs,
  parsePercentBasisPoints,
  ttftThresholdMs,
  type InsuranceClaim,
  type InsurancePolicy,
  type InsuranceRule,
  type InsuredRequest,
} from './insurance-policy.js';
