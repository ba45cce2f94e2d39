/** The keep-alive connection pools shared by every outgoing HTTP call. */
export const AGENTS = Symbol('AGENTS');
/** The gateway's metrics port. */
export const GATEWAY_METRICS = Symbol('GATEWAY_METRICS');
