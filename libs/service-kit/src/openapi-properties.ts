/**
 * The `@ApiProperty` options the services' response classes share, so that a money amount or an
 * instant is described the same way in every OpenAPI document.
 */

/** A timestamp, ISO 8601 in UTC. */
export const INSTANT_PROPERTY = { example: '2026-11-30T12:00:00.000Z' };

/** A timestamp that may be absent (null). */
export const NULLABLE_INSTANT_PROPERTY = { type: String, nullable: true, ...INSTANT_PROPERTY };

/** An amount in USD, a decimal string (never a float). */
export const usdProperty = (example: string, description = 'USD, a decimal string') => ({
  example,
  description,
});

/** A string that may be absent (null). */
export const nullableStringProperty = (example?: string) => ({
  type: String,
  nullable: true,
  example,
});
