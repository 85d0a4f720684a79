// Events across versions, the consumer's side: a new build of a consumer may stop reading an old
// version of an event only once no running producer writes that version any more.
import type { ServiceInstance } from '@meridian/discovery';
import { type EventDescriptor, versionNumbers } from '@meridian/messaging';

/**
 * Why the new build of `service`, which reads the event versions its `consumes` descriptors declare,
 * must not be deployed while `instances` (discovery's view) run: each running producer that has
 * written a version it no longer reads. Empty: nothing stands in the way.
 */
export function droppedVersionsInUse(service: string, consumes: readonly EventDescriptor[], instances: readonly ServiceInstance[]): string[] {
  const refusals: string[] = [];
  for (const descriptor of consumes) {
    const reads = versionNumbers(descriptor.versions);
    for (const instance of instances) {
      if (!instance.messaging?.produces.includes(descriptor.topic.name)) continue;
      for (const version of instance.messaging.emits?.[descriptor.type] ?? []) {
        if (reads.includes(version)) continue;
        refusals.push(
          `${instance.service} ${instance.version} (${instance.instanceId}) still emits ${descriptor.type} v${version}, ` +
            `which the new build of ${service} no longer reads (it reads v${reads.join(', v')})`,
        );
      }
    }
  }
  return refusals;
}

/** The events the current checkout's build of `service` reads: its definition's `consumes` (export `<service>Service`). */
export async function consumedEvents(service: string): Promise<EventDescriptor[]> {
  const module = await import(new URL(`../../services/${service}/src/service.ts`, import.meta.url).href);
  const exported = module[`${service}Service`];
  const definition = typeof exported === 'function' ? exported() : exported;
  if (!definition || definition.name !== service) throw new Error(`services/${service}/src/service.ts exports no ${service}Service definition`);
  return definition.consumes ?? [];
}
