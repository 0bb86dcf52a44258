// A real OpenID Connect provider for the tests (oidc-provider, a certified implementation):
// the client credentials grant, access tokens as RS256 JWTs with a `kid` (resource indicators),
// a `permissions` claim as Temporal's default claim mapper reads it, and the JWKS at
// /jwks. Started by tests/identity.py on a loopback port:
//   node provider.mjs PORT   with ICR_TEST_OIDC_CLIENTS='[{"client_id", "client_secret",
//   "permissions": [...], "preferred_username"?}]' and ICR_TEST_OIDC_TTL (seconds).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const clients = JSON.parse(process.env.ICR_TEST_OIDC_CLIENTS ?? '[]');
const ttl = Number(process.env.ICR_TEST_OIDC_TTL ?? '300');
const audience = process.env.ICR_TEST_OIDC_AUDIENCE ?? 'icr-temporal';
const resource = 'urn:icr:temporal';
const byId = Object.fromEntries(clients.map((c) => [c.client_id, c]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'icr-test-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signing] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        return {
          scope: 'temporal',
          audience,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (_ctx, token) => {
    const client = byId[token.clientId] ?? {};
    const claims = { permissions: client.permissions ?? [] };
    if (client.preferred_username) claims.preferred_username = client.preferred_username;
    return claims;
  },
  scopes: ['temporal'],
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
