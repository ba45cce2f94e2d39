import { AccountParams } from '@billing/service-kit';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { MAX_API_KEY_NAME_LENGTH, type ApiKeyStatus } from '../domain/index.js';

// The account path parameter is shared by every service; re-exported for the controllers.
export { AccountParams };

export class ApiKeyParams extends AccountParams {
  @ApiProperty({ example: 'key_0f8c1d5e9a7b4c2d8e6f1a3b5c7d9e0f' })
  // Any other shape cannot be a key id of ours: it answers 404 like a missing key, not 400, so
  // the route says nothing about which ids could exist.
  @IsString()
  apiKeyId!: string;
}

const EXPIRES_AT_TYPE = 'expiresAt must be an ISO-8601 UTC time string, or null';

export class CreateApiKeyBody {
  @ApiProperty({ example: 'production', maxLength: MAX_API_KEY_NAME_LENGTH })
  // Length, whitespace and control characters are the domain's rules (KEYS.INVALID_NAME).
  @IsString({ message: 'name must be a string' })
  name!: string;

  @ApiPropertyOptional({
    example: '2027-03-01T00:00:00Z',
    nullable: true,
    description:
      'When the key stops working: an ISO-8601 UTC time in the future. Absent or null: never.',
  })
  // The format and "in the future" are the domain's rules (KEYS.INVALID_EXPIRY).
  @IsOptional()
  @IsString({ message: EXPIRES_AT_TYPE })
  expiresAt?: string | null;
}

const STATUSES: readonly ApiKeyStatus[] = ['enabled', 'disabled'];

export class UpdateApiKeyBody {
  @ApiPropertyOptional({ example: 'staging' })
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  name?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: 'status must be "enabled" or "disabled"' })
  status?: ApiKeyStatus;

  @ApiPropertyOptional({
    example: '2027-03-01T00:00:00Z',
    nullable: true,
    description:
      'A new expiry (ISO-8601 UTC, in the future), or null to remove it. Absent: unchanged.',
  })
  @IsOptional()
  @IsString({ message: EXPIRES_AT_TYPE })
  expiresAt?: string | null;

  @ApiPropertyOptional({
    example: { daily: '5', monthly: '100' },
    description:
      'Per-key spend limits (decimal USD; UTC calendar day and month): each of daily and ' +
      'monthly a positive amount, null to remove it, or absent to leave it. A request that ' +
      'could take the key past one is refused at the gateway with 402 key_spend_limit_reached.',
  })
  // The values are the domain's rules (KEYS.INVALID_SPEND_LIMIT).
  @IsOptional()
  @IsObject({ message: 'spendLimits must be an object {daily?, monthly?}' })
  spendLimits?: Record<string, unknown>;
}
