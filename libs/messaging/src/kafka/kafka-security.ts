import type { KafkaConfig } from 'kafkajs';

/** The SASL mechanisms a client may use: SCRAM only (PLAIN would send the password itself). */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/**
 * How a client proves who it is to the broker, and how the connection is protected. Without
 * `sasl` the client connects anonymously, which a secured broker refuses; without `tls` the
 * connection is plain TCP (SCRAM never sends the password, but the messages travel in clear).
 */
export interface KafkaSecurity {
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    readonly password: string;
  };
  /**
   * TLS to the broker, verifying its certificate against `ca` (PEM) when given, else the system's
   * trusted roots; `cert` and `key` (PEM) present a client certificate (mutual TLS).
   */
  readonly tls?: {
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
  };
}

/**
 * The part of kafkajs's client configuration that `security` decides. The password goes only
 * into kafkajs's SASL handshake: nothing here logs it, and kafkajs's own log lines and
 * authentication errors name the mechanism and the broker, never the credentials.
 */
export function kafkaSecurityConfig(
  security: KafkaSecurity = {},
): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const config: Pick<KafkaConfig, 'sasl' | 'ssl'> = {};
  const { sasl, tls } = security;
  if (sasl !== undefined) {
    const { username, password } = sasl;
    config.sasl =
      sasl.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username, password }
        : { mechanism: 'scram-sha-512', username, password };
  }
  if (tls !== undefined) {
    config.ssl = {
      // Never turned off: a broker whose certificate does not verify is not our broker.
      rejectUnauthorized: true,
      ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    };
  }
  return config;
}
