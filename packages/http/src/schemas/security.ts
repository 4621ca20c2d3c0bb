/**
 * The security of every `/v1` operation: none when the server has no API key (`{}`), otherwise
 * the key as `X-API-Key` or as a Bearer token.
 */
export const V1_SECURITY = [{}, { ApiKey: [] }, { Bearer: [] }];

/**
 * The security of `/v1` GET operations: as {@link V1_SECURITY}, or the key as `?apiKey=`,
 * because a browser can set no header on a WebSocket or a download link.
 */
export const V1_READ_SECURITY = [...V1_SECURITY, { ApiKeyQuery: [] }];

/** Operations anyone may call, API key or not (health, readiness, metrics). */
export const PUBLIC_SECURITY: Array<Record<string, string[]>> = [];
