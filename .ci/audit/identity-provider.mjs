// Sign-in through a real OpenID Connect provider: node-oidc-provider (an OpenID
// Certified implementation, from npm) on a loopback port, issuing JWT access tokens by
// the client-credentials grant, signed ES256 for one resource and RS256 for another.
// The API binary is started against it by discovery (OIDC_ISSUER_URL) and must honour
// both tokens over HTTP and over graphql-ws, refuse a token of another audience, and
// take a key the provider rotates in on its first request.
//
//   node .ci/audit/identity-provider.mjs target/debug/api
//
// Keycloak and Dex are not in the package registries this project builds from; see
// the README ("Tokens from an identity provider").

import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const apiBinary = process.argv[2];
if (!apiBinary) throw new Error('usage: identity-provider.mjs PATH_TO_API');

const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

const keyOf = (type, options, kid, alg) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  kid, alg, use: 'sig',
});
const rsa1 = keyOf('rsa', { modulusLength: 2048 }, 'rsa-1', 'RS256');
const ec1 = keyOf('ec', { namedCurve: 'P-256' }, 'ec-1', 'ES256');
const rsa2 = keyOf('rsa', { modulusLength: 2048 }, 'rsa-2', 'RS256');

const audience = 'fellowship-api';
const resources = { 'urn:fellowship:es256': 'ES256', 'urn:fellowship:rs256': 'RS256', 'urn:elsewhere': 'RS256' };

// The provider, with the keys it publishes; a rotation starts a new one on the same port.
const providerPort = await freePort();
const issuer = `http://127.0.0.1:${providerPort}`;
function startProvider(keys) {
  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: [{
      client_id: 'merve',
      client_secret: 'a-secret-of-the-ci-client-only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:fellowship:es256',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const alg = resources[resource];
          if (!alg) throw new Provider.errors.InvalidTarget();
          return {
            scope: 'api',
            audience: resource === 'urn:elsewhere' ? 'another-api' : audience,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    // Where a Keycloak realm would put them: the handle and the realm's roles.
    extraTokenClaims: () => ({ preferred_username: 'merve', realm_access: { roles: ['fellowship-staff'] } }),
  });
  return new Promise((resolve) => {
    const server = provider.listen(providerPort, '127.0.0.1', () => resolve(server));
  });
}

async function token(resource) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('merve:a-secret-of-the-ci-client-only').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'api' }),
  });
  const body = await response.json();
  if (!body.access_token) throw new Error(`no token for ${resource}: ${JSON.stringify(body)}`);
  const [header] = body.access_token.split('.');
  return { token: body.access_token, header: JSON.parse(Buffer.from(header, 'base64url')) };
}

let providerServer = await startProvider([rsa1, ec1]);

const apiPort = await freePort();
const api = `http://127.0.0.1:${apiPort}`;
const dir = mkdtempSync(join(tmpdir(), 'fellowship-oidc-'));
const server = spawn(apiBinary, ['serve', '--demo', '--bind', `127.0.0.1:${apiPort}`], {
  env: {
    PATH: process.env.PATH,
    DATABASE_URL: `sqlite://${join(dir, 'oidc.db')}?mode=rwc`,
    OIDC_ISSUER_URL: issuer,
    JWT_AUDIENCE: audience,
    JWT_ROLE_CLAIM: 'realm_access.roles',
    JWT_HANDLE_CLAIM: 'preferred_username',
    JWT_STAFF_ROLE: 'fellowship-staff',
    JWKS_REFETCH_COOLDOWN: '1s',
    RUST_LOG: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
let failed = false;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};

try {
  let ready;
  for (let i = 0; i < 100 && !ready; i += 1) {
    ready = await fetch(`${api}/readyz`).then((r) => r.ok && r.json(), () => undefined);
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  check(ready?.identityProvider?.status === 'fresh', `ready, with the provider's keys loaded: ${JSON.stringify(ready)}`);

  const viewer = async (accessToken) => {
    const response = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: '{ viewer { role handle } }' }),
    });
    return { status: response.status, body: await response.json() };
  };
  const isMerveStaff = (r) => r.status === 200 && r.body.data?.viewer?.role === 'STAFF' && r.body.data.viewer.handle === 'merve';

  for (const resource of ['urn:fellowship:es256', 'urn:fellowship:rs256']) {
    const { token: accessToken, header } = await token(resource);
    check(header.alg === resources[resource] && header.kid, `the provider signed ${header.alg} with kid ${header.kid}`);
    check(isMerveStaff(await viewer(accessToken)), `${header.alg} token honoured over HTTP`);

    const client = createClient({
      url: `${api.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${accessToken}` },
      retryAttempts: 0,
    });
    const overSocket = await new Promise((resolve, reject) => {
      let result;
      client.subscribe({ query: '{ viewer { role handle } }' }, {
        next: (value) => { result = value; },
        error: reject,
        complete: () => resolve(result),
      });
    });
    await client.dispose();
    check(overSocket?.data?.viewer?.role === 'STAFF', `${header.alg} token honoured over graphql-ws`);
  }

  const elsewhere = await viewer((await token('urn:elsewhere')).token);
  check(elsewhere.status === 401 && elsewhere.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
    'a token for another audience refused with 401 UNAUTHENTICATED');

  // The provider rotates: rsa-2 in, rsa-1 out, on the same issuer.
  providerServer.closeAllConnections();
  await new Promise((resolve) => providerServer.close(resolve));
  // Let this process's pooled connections to the old server see their close.
  await new Promise((resolve) => setTimeout(resolve, 200));
  providerServer = await startProvider([rsa2, ec1]);
  const rotated = await token('urn:fellowship:rs256');
  check(rotated.header.kid === 'rsa-2', 'the provider now signs with rsa-2');
  check(isMerveStaff(await viewer(rotated.token)), 'a key rotated in is honoured on its first request');
} finally {
  server.kill('SIGTERM');
  providerServer.close();
}
if (failed) process.exit(1);
console.log('identity provider: all checks passed');
