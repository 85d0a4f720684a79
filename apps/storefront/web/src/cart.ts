import { useSyncExternalStore } from 'react';
import { api, session, type CartLine } from './api.ts';

/** The signed-in customer's cart as last read from or written to the server. */
let lines: CartLine[] = [];
const listeners = new Set<() => void>();
const publish = (next: CartLine[]) => {
  lines = next;
  listeners.forEach((listener) => listener());
};

export async function refreshCart(): Promise<void> {
  publish(session.get() ? (await api.cart()).items : []);
}

async function save(next: CartLine[]): Promise<void> {
  publish((await api.saveCart(next)).items);
}

export const cart = {
  add: (productId: string, quantity: number) => save([...lines, { productId, quantity }]),
  setQuantity: (productId: string, quantity: number) =>
    save(lines.map((line) => (line.productId === productId ? { ...line, quantity } : line))),
  /** Adds `items` to the cart, summing quantities of a product already in it. */
  putBack: async (items: CartLine[]) => {
    await refreshCart();
    const merged = new Map(lines.map((line) => [line.productId, line.quantity]));
    for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
    await save([...merged].map(([productId, quantity]) => ({ productId, quantity })));
  },
  remove: (productId: string) => save(lines.filter((line) => line.productId !== productId)),
  clear: async () => {
    await api.clearCart();
    publish([]);
  },
  forget: () => publish([]),
};

export function useCartLines(): CartLine[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => lines,
  );
}
