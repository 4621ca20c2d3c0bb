/**
 * Why RabbitMQ refused to open a connection, when it did: its handshake error is a bare `Error`
 * whose message alone says what happened (amqplib sets no code on it). `undefined` for any
 * other failure (a broker not reachable yet), which is worth retrying.
 */
export function loginRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  if (/ACCESS[-_]REFUSED/.test(message)) {
    return 'refused the login: authentication refused (check the user name and password in the URL)';
  }
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return 'refused the connection: no access to its virtual host (does it exist, may the user open it?)';
  }
  return undefined;
}
