const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i;

/**
 * Hides the password in a connection URL so it can appear in logs and error messages:
 * `amqp://app:s3cret@rabbit:5672` becomes `amqp://app:***@rabbit:5672`. Works on URLs the WHATWG
 * parser rejects too (such as `kafka://a:9092,b:9092`). A URL without credentials is unchanged.
 */
export function redactUrl(url: string): string {
  return url.replace(USER_INFO, (_match, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return colon < 0 ? `${scheme}${userInfo}@` : `${scheme}${userInfo.slice(0, colon)}:***@`;
  });
}
