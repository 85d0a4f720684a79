// Events across versions: a producer emits the newest version of an event that every running consumer
// of its topic accepts. A build that writes OrderPlaced v2 keeps writing v1 while an instance that only
// reads v1 still runs (during its upgrade, say), and switches to v2 once none is left.
import { Value } from 'typebox/value';
import type { EventVersion } from './descriptors.ts';

/** One consumer group of a running instance, as discovery lists it. */
export interface AcceptingConsumer {
  group: string;
  /** Logical topic names it reads. */
  topics: string[];
  /** Per event type it handles, the versions its build reads. Absent: it says nothing (no constraint). */
  accepts?: Record<string, number[]>;
}

export interface VersionChoice {
  version: number;
  /** The consumer groups that hold the version back (empty when it is the one asked for). */
  heldBackBy: string[];
}

export interface VersionGate {
  /** The version to emit for `event`: the newest at or below it that every consumer of its topic reads. */
  choose(event: EventVersion): VersionChoice;
}

/**
 * `consumers` is read on every choice (discovery's live view); `onChange` hears when the version chosen
 * for an event type changes (to log it once).
 */
export function createVersionGate(
  consumers: () => Iterable<AcceptingConsumer>,
  onChange?: (type: string, wanted: number, choice: VersionChoice) => void,
): VersionGate {
  const last = new Map<string, number>();
  return {
    choose(event) {
      let readable: number[] | undefined;
      const groups: { group: string; accepts: number[] }[] = [];
      for (const consumer of consumers()) {
        const accepts = consumer.accepts?.[event.type];
        if (!accepts || !consumer.topics.includes(event.topic.name)) continue;
        groups.push({ group: consumer.group, accepts });
        readable = (readable ?? accepts).filter((version) => accepts.includes(version));
      }
      const best = readable?.filter((version) => version <= event.version && version in event.versions).sort((a, b) => b - a)[0];
      // No version every consumer reads: emit the one asked for (a consumer that cannot read it dead-letters it).
      const version = readable === undefined || best === undefined ? event.version : best;
      const choice = { version, heldBackBy: groups.filter((g) => !g.accepts.includes(event.version)).map((g) => g.group) };
      const key = `${event.type}/${event.version}`;
      if (last.get(key) !== version) {
        if (last.has(key) || version !== event.version) onChange?.(event.type, event.version, choice);
        last.set(key, version);
      }
      return choice;
    },
  };
}

/**
 * `data` of `event` as the older `version` of the same event: what that version's schema does not
 * describe is dropped (fields added since). Undefined when the result is not valid at that version.
 */
export function asVersion<T>(event: EventVersion<T>, version: number, data: T): { event: EventVersion; data: unknown } | undefined {
  const schema = event.versions[version];
  if (!schema) return undefined;
  const older: EventVersion = Object.freeze({ ...event, version, schema });
  const cleaned = Value.Clean(schema, structuredClone(data));
  return Value.Check(schema, cleaned) ? { event: older, data: cleaned } : undefined;
}
