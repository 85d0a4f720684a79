// Every service verifies access tokens with identity's JWKS, fetched through discovery: an HTTP pact per service.
import assert from 'node:assert/strict';
import { MatchersV3 } from '@pact-foundation/pact';
import { createAuthVerifier, createTokenIssuer } from '@meridian/auth';
import { createServiceClient, type Resolver } from '@meridian/discovery';
import { examples, pactBetween } from './pact.ts';

const { eachLike, regex, string } = MatchersV3;

/** A fixed Ed25519 key for contract tests only, so the example JWKS (and the pact file) never changes. */
const contractSigningKey = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: '4eNj1dNyx8tjGRfKueWOAI0x56TzqZon7-0MlVWYpBU',
  x: '0HHozij4UkTNsTj7F4ng0BMj24OFK8YY1ePFTl-l2LQ',
};

/** A resolver that knows one ready instance: the pact mock server standing in for identity. */
function resolverFor(url: string): Resolver {
  const instance = { service: 'identity', version: 'pact', instanceId: 'pact-mock', url, apiVersions: ['v1'], health: 'ready' as const, startedAt: examples.time };
  return {
    start: async () => {},
    stop: async () => {},
    instances: () => [instance],
    resolve: () => instance,
    markFailed: () => {},
  };
}

/**
 * `consumer` fetches identity's JWKS as the service chassis does (service client through
 * discovery, then `createAuthVerifier({ getJwks })`) and verifies a token signed with that key.
 */
export async function expectJwks(consumer: string): Promise<void> {
  const issuer = await createTokenIssuer({ privateJwk: contractSigningKey });
  const [key] = issuer.jwks().keys;
  await pactBetween(consumer, 'identity')
    .addInteraction()
    .uponReceiving(`a request from ${consumer} for the token signing keys`)
    .withRequest('GET', '/.well-known/jwks.json')
    .willRespondWith(200, (builder) =>
      builder.jsonBody({
        keys: eachLike({ kty: 'OKP', crv: 'Ed25519', x: regex('^[A-Za-z0-9_-]{43}$', key.x as string), kid: string(key.kid as string), alg: 'EdDSA', use: 'sig' }),
      }),
    )
    .executeTest(async (server) => {
      const identity = createServiceClient(resolverFor(server.url), 'identity');
      const verifier = createAuthVerifier({
        getJwks: async () => {
          const response = await identity.request('/.well-known/jwks.json');
          if (!response.ok) throw new Error(`identity JWKS answered ${response.status}`);
          return response.json();
        },
      });
      const token = await issuer.issue({ sub: examples.customerId, email: 'shopper@example.com', role: 'customer' });
      const user = await verifier.verify(token);
      assert.equal(user.sub, examples.customerId);
    });
}
