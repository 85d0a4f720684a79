// identity verifies the storefront's account pacts and every service's JWKS pact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { identityService } from '../../../services/identity/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, verifyPacts } from '../support/verify.ts';

let identity: RunningProvider;

before(async () => {
  identity = await startProvider(identityService);
});
after(() => identity?.stop());

test('identity honours every pact its consumers published', async () => {
  const outcomes = await verifyPacts({
    provider: 'identity',
    providerBaseUrl: identity.url,
    stateHandlers: {
      // Every verification runs on a fresh database: no account exists yet.
      'no account uses the email': async () => {},
      'a customer account exists': async (params) => {
        const { email, password } = params as { email: string; password: string };
        const registered = await identity.call('/api/v1/auth/register', { method: 'POST', body: { email, password, name: 'Pact Shopper' } });
        assert.ok(registered.status === 201 || registered.status === 409, JSON.stringify(registered.body));
      },
    },
  });
  assert.deepEqual(outcomes.map((o) => o.consumer).sort(), ['catalog', 'inventory', 'notifications', 'orders', 'payments', 'storefront']);
  assertVerified(outcomes);
});
