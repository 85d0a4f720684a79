import { counterOf } from '@meridian/http';
import type { Counter, Registry } from 'prom-client';

/** `notifications_created_total{template}`, registered once per registry. */
export function createdCounter(registry: Registry): Counter<'template'> {
  return counterOf(registry, 'notifications_created_total', 'Notifications recorded, by template', ['template']);
}
