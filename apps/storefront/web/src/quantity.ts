import { ApiError } from '../../../shared/web/api.ts';
import type { FieldProblem } from '../../../shared/web/fieldErrors.ts';

/** The cart's limit per product (the storefront server refuses more). */
export const maxPerProduct = 1000;

export interface QuantityLimits {
  /** Units of this product already in the cart. */
  inCart?: number;
  /** Units left when only a few are (availability `low`). */
  left?: number;
  /** The smallest quantity accepted: 1 to add, 0 in the cart (0 removes the line). */
  min?: number;
}

/** What is wrong with a typed quantity, or undefined when it can be sent. */
export function quantityProblem(text: string, { inCart = 0, left, min = 1 }: QuantityLimits = {}): FieldProblem | undefined {
  const field = 'quantity';
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value)) return { field, message: 'must be a whole number', keyword: 'type', params: { type: 'integer' } };
  if (value < min) return { field, message: `must be at least ${min}`, keyword: 'minimum', params: { limit: min } };
  if (left !== undefined && inCart + value > left) {
    return inCart >= left
      ? { field, message: `cannot grow: all ${left} left are already in your cart` }
      : { field, message: `is more than what is left: only ${left} left${inCart ? `, ${inCart} of them already in your cart` : ''}` };
  }
  if (inCart + value > maxPerProduct) {
    return inCart > 0
      ? { field, message: `is too many: at most ${maxPerProduct.toLocaleString('en')} of one product fit in a cart, and ${inCart} are already in it` }
      : { field, message: `can be at most ${maxPerProduct.toLocaleString('en')}`, keyword: 'maximum', params: { limit: maxPerProduct } };
  }
  return undefined;
}

/** Throws the problem as a validation error the forms show next to the field. */
export function checkQuantity(text: string, limits?: QuantityLimits): number {
  const problem = quantityProblem(text, limits);
  if (problem) throw new ApiError(400, 'Invalid quantity', '', 'about:blank', [problem]);
  return Number(text.trim());
}
