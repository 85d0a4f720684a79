import { Format } from 'typebox/format';

/** ISO 4217 currency codes in use, from the runtime's ICU data (CLDR), not a hand-kept list. */
export const currencyCodes: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/**
 * String formats beyond JSON Schema's, for request schemas: `currency` is an ISO 4217 code in use
 * (`EUR`; `XYZ` is refused). Idempotent.
 */
export function registerFormats(): void {
  if (!Format.Has('currency')) Format.Set('currency', (value) => currencyCodes.has(value));
}
