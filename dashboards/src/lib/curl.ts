// The store's xAPI endpoint and a curl command that sends one statement to it, with a client's
// key and secret, or placeholders to fill in.

export function xapiEndpoint(origin: string = window.location.origin): string {
  return `${origin}/xapi/`;
}

/** Quotes a value for a POSIX shell. */
function sh(v: string): string {
  return /^[A-Za-z0-9_.:/@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(credentials?: { key: string; secret: string }, origin?: string): string {
  const endpoint = xapiEndpoint(origin);
  const user = credentials ? sh(`${credentials.key}:${credentials.secret}`) : "CLIENT_KEY:CLIENT_SECRET";
  return [
    `curl -u ${user} -H 'X-Experience-API-Version: 1.0.3' \\`,
    `  -H 'Content-Type: application/json' ${endpoint}statements \\`,
    `  -d '{"actor":{"mbox":"mailto:ada@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://example.com/course/1"}}'`,
  ].join("\n");
}
