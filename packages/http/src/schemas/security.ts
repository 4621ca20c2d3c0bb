/**
 * The security of every `/v1` operation: none when the server has no API key (`{}`), otherwise
 * the key as `X-API-Key` or as a Bearer token.
 */
export const V1_SECURITY = [{}, { ApiKey: [] }, { Bearer: [] }];
