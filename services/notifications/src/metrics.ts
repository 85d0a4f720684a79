import { Counter, type Registry } from 'prom-client';

/** `notifications_created_total{template}`, registered once per registry. */
export function createdCounter(registry: Registry): Counter<'template'> {
  const name = 'notifications_created_total';
  return (
    (registry.getSingleMetric(name) as Counter<'template'> | undefined) ??
    new Counter({ name, help: 'Notifications recorded, by template', labelNames: ['template'], registers: [registry] })
  );
}
