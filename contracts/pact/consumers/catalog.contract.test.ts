// catalog consumes only its own events (cache invalidation: no pact with itself) and identity's JWKS.
import { test } from 'node:test';
import { expectJwks } from '../support/jwks.ts';

test('catalog -> identity: JWKS to verify staff tokens', () => expectJwks('catalog'));
