// A real OpenID provider for the single sign-on tests: npm `oidc-provider` on a free loopback
// port, with one client (Cairn) and a few people. Its development login form accepts any
// password; the login name picks the person.
import Provider from "oidc-provider";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { freePort } from "./server";

export const OIDC_CLIENT = { id: "cairn-e2e", secret: "cairn-e2e-client-secret-0123456789" };

export const PEOPLE: Record<string, { email: string; name: string }> = {
  ada: { email: "ada@example.com", name: "Ada Lovelace" },
  mallory: { email: "mallory@elsewhere.test", name: "Mallory" },
};

export type RunningProvider = { issuer: string; port: number; kid: string; close: () => Promise<void> };

/** Starts the provider with a new RSA signing key of its own (a restart on the same port is a
 * key rotation). */
export async function startProvider(redirectUri: string, at?: number): Promise<RunningProvider> {
  const port = at ?? (await freePort());
  const kid = randomUUID();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" };
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT.id,
        client_secret: OIDC_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    async findAccount(_ctx, id) {
      const person = PEOPLE[id];
      if (!person) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: person.email, email_verified: true, name: person.name }),
      };
    },
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    cookies: { keys: ["cairn-e2e-cookie-key"] },
  });
  const server: Server = provider.listen(port, "127.0.0.1");
  await new Promise<void>((ok) => server.once("listening", () => ok()));
  return {
    issuer,
    port,
    kid,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
