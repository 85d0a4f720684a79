// Consumer side: where pacts are written and the matchers every pact shares.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MatchersV3, PactV4, SpecificationVersion } from '@pact-foundation/pact';
import { pactsDir } from '../../../tools/lib/paths.ts';

process.env.PACT_DO_NOT_TRACK ??= 'true';

const started = new Set<string>();

/**
 * A V4 pact between `consumer` and `provider`, written to `contracts/pacts/<consumer>-<provider>.json`.
 * The first call in a process deletes the old file, so the file holds exactly what this run's
 * consumer tests declare (pact-js merges interactions into an existing file).
 */
export function pactBetween(consumer: string, provider: string, dir = pactsDir): PactV4 {
  const file = join(dir, `${consumer}-${provider}.json`);
  if (!started.has(file)) {
    rmSync(file, { force: true });
    started.add(file);
  }
  return new PactV4({ consumer, provider, dir, spec: SpecificationVersion.SPECIFICATION_VERSION_V4, logLevel: 'warn' });
}

const { boolean, eachLike, integer, regex, string } = MatchersV3;

/** Fixed example values: pact files must come out identical on every run. */
export const examples = {
  orderId: '6f1c2a7e-3b9d-4c1e-9a55-0d2f3e4a5b6c',
  customerId: '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5',
  productId: '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  paymentId: 'c0ffee00-1234-4abc-9def-001122334455',
  notificationId: 'a11ce000-5678-4def-8abc-667788990011',
  time: '2026-11-25T10:00:00.000Z',
} as const;

const uuidPattern = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const timestampPattern = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$';

/** A lowercase uuid string. */
export const uuid = (example: string) => regex(uuidPattern, example);
/** An ISO 8601 timestamp as `Date#toISOString()` writes it. */
export const timestamp = (example: string = examples.time) => regex(timestampPattern, example);
/** A three-letter ISO 4217 code. */
export const currency = (example = 'EUR') => regex('^[A-Z]{3}$', example);

/** A product as catalog's v2 API answers it to the web apps. */
export const productV2Body = () => ({
  id: uuid(examples.productId),
  sku: string('KETTLE-1'),
  name: string('Pour-Over Kettle'),
  description: string('Gooseneck, 1 l'),
  category: string('Kitchen'),
  price: { amount: integer(4999), currency: currency() },
  active: boolean(true),
});

/** An order as the orders API answers it to the web apps. */
export const orderBody = () => ({
  id: uuid(examples.orderId),
  status: regex('^(PENDING|CONFIRMED|CANCELLED)$', 'PENDING'),
  items: eachLike({ productId: uuid(examples.productId), sku: string('KETTLE-1'), name: string('Pour-Over Kettle'), quantity: integer(2), unitPriceCents: integer(4999) }),
  totalCents: integer(9998),
  currency: currency(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
