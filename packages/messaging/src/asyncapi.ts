import type { TSchema } from 'typebox';
import type { EventDescriptor, TopicDescriptor } from './descriptors.ts';

/** A service's place in the event flow: what it publishes and what its consumers handle. */
export interface EventParticipant {
  name: string;
  produces: readonly EventDescriptor[];
  consumes: readonly EventDescriptor[];
}

type Json = Record<string, unknown>;

/** An AsyncAPI 3.0 document (the parts this module writes). */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  defaultContentType: string;
  channels: Record<string, Json & { messages: Record<string, { $ref: string }> }>;
  operations: Record<string, Json>;
  components: { messages: Record<string, Json>; parameters: Record<string, Json> };
}

const messageId = (type: string, version: number) => `${type}.v${version}`;
const channelRef = (topic: string) => ({ $ref: `#/channels/${topic}` });
/** Plain JSON: TypeBox schemas carry symbol keys that are not part of the schema. */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema));

function channelOf(topic: TopicDescriptor): Json {
  return {
    address: `{namespace}.${topic.name}`,
    title: topic.name,
    description: `Published by ${topic.owner}. ${topic.cleanupPolicy === 'compact' ? 'Compacted: the latest event per key is kept' : `Kept ${Math.round(topic.retentionMs / 86_400_000)} days`}; failed messages go to \`{namespace}.${topic.name}.dlq\`.`,
    parameters: { namespace: { $ref: '#/components/parameters/namespace' } },
    bindings: {
      kafka: {
        topic: topic.name,
        partitions: topic.partitions,
        topicConfiguration: { 'cleanup.policy': topic.cleanupPolicy.split(','), 'retention.ms': topic.retentionMs },
        bindingVersion: '0.5.0',
      },
    },
    messages: {},
  };
}

/** The message of one event version: the envelope every event travels in, with that version's `data`. */
function messageOf(event: EventDescriptor, version: number, schema: TSchema): Json {
  return {
    name: event.type,
    title: `${event.type} v${version}`,
    contentType: 'application/json',
    headers: {
      type: 'object',
      properties: {
        'event-id': { type: 'string', format: 'uuid' },
        'event-type': { type: 'string', const: event.type },
        'event-version': { type: 'string', const: String(version) },
        traceparent: { type: 'string', description: 'W3C trace context of the transaction that wrote the event' },
      },
    },
    payload: {
      type: 'object',
      required: ['id', 'type', 'version', 'source', 'time', 'key', 'data'],
      properties: {
        id: { type: 'string', format: 'uuid', description: 'Unique per event; consumers skip an id they already processed' },
        type: { type: 'string', const: event.type },
        version: { type: 'integer', const: version },
        source: { type: 'string', description: 'The service that published it' },
        time: { type: 'string', format: 'date-time' },
        key: { type: 'string', description: 'The Kafka message key: events of one key stay in order' },
        traceparent: { type: 'string' },
        data: plain(schema),
      },
    },
  };
}

/**
 * An AsyncAPI 3.0 document of some services' events: a channel per topic, a message per event version,
 * and a `send` operation per event a service publishes and a `receive` one per event it consumes.
 */
export function asyncApiDocument(options: { title: string; version: string; description?: string; participants: readonly EventParticipant[] }): AsyncApiDocument {
  const document: AsyncApiDocument = {
    asyncapi: '3.0.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    defaultContentType: 'application/json',
    channels: {},
    operations: {},
    components: {
      messages: {},
      parameters: { namespace: { description: 'The platform namespace (`MERIDIAN_NAMESPACE`), e.g. `dev`', default: 'dev' } },
    },
  };
  const addEvent = (event: EventDescriptor) => {
    const channel = (document.channels[event.topic.name] ??= channelOf(event.topic) as AsyncApiDocument['channels'][string]);
    const ids: string[] = [];
    for (const [version, schema] of Object.entries(event.versions)) {
      const id = messageId(event.type, Number(version));
      document.components.messages[id] ??= messageOf(event, Number(version), schema);
      channel.messages[id] = { $ref: `#/components/messages/${id}` };
      ids.push(id);
    }
    return ids.map((id) => ({ $ref: `#/channels/${event.topic.name}/messages/${id}` }));
  };
  for (const participant of options.participants) {
    for (const [action, events] of [['send', participant.produces], ['receive', participant.consumes]] as const) {
      for (const event of events) {
        document.operations[`${participant.name}.${action}.${event.type}`] = {
          action,
          channel: channelRef(event.topic.name),
          summary: `${participant.name} ${action === 'send' ? 'publishes' : 'consumes'} ${event.type}`,
          tags: [{ name: participant.name }],
          messages: addEvent(event),
        };
      }
    }
  }
  return document;
}

/** One document from several (e.g. each service's own): channels, messages and operations united. */
export function mergeAsyncApi(info: AsyncApiDocument['info'], documents: readonly AsyncApiDocument[]): AsyncApiDocument {
  const merged: AsyncApiDocument = {
    asyncapi: '3.0.0',
    info,
    defaultContentType: 'application/json',
    channels: {},
    operations: {},
    components: { messages: {}, parameters: {} },
  };
  for (const document of documents) {
    for (const [id, channel] of Object.entries(document.channels)) {
      const target = (merged.channels[id] ??= { ...channel, messages: {} });
      Object.assign(target.messages, channel.messages);
    }
    Object.assign(merged.operations, document.operations);
    Object.assign(merged.components.messages, document.components.messages);
    Object.assign(merged.components.parameters, document.components.parameters);
  }
  return merged;
}
