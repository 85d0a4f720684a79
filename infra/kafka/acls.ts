// Who may do what on Kafka, derived from the topic declarations: one source for the local broker's ACLs
// (scripts/kafkaUsers.ts) and the Kubernetes manifests' Strimzi KafkaUsers (infra/k8s/render.ts).

export type AclOperation = 'Read' | 'Write' | 'Create' | 'Describe' | 'DescribeConfigs';

/** One grant: `operations` on the topic or group `name` (exactly, or every name starting with it). */
export interface AclRule {
  resource: 'topic' | 'group';
  name: string;
  pattern: 'literal' | 'prefix';
  operations: AclOperation[];
}

/** What one process kind (a service or a web app) does with Kafka; topic names are logical (`orders.events`). */
export interface KafkaNeeds {
  name: string;
  /** Topics it owns and writes. */
  produces: readonly string[];
  /** Topics it reads in consumer groups of its own. */
  consumes: readonly string[];
  /** It ships its log lines to the logs topic (every process but the one that indexes them). */
  shipsLogs: boolean;
  /** The ops console: reads every topic and every group's offsets of the namespace, and replays dead letters. */
  inspects?: boolean;
}

export interface AclContext {
  /** The MERIDIAN_NAMESPACE whose topics and groups the rules name. */
  ns: string;
  /** The logical logs topic (`platform.logs`). */
  logsTopic: string;
  /** Every business topic of the platform: where the ops console may replay a dead letter to. */
  businessTopics: readonly string[];
}

const dlq = (physical: string) => `${physical}.dlq`;

/**
 * The grants of one process kind in namespace `ns`:
 * - it writes only the topics it owns (and the logs topic), and may create them with their `.dlq`;
 * - it reads only the topics it consumes, and writes their `.dlq` (where its consumers dead-letter);
 * - it sees the configs of every topic it touches (its start checks they exist);
 * - its consumer groups are the ones named `<ns>.<name>.…`;
 * - the ops console reads every topic and group of the namespace and writes business topics (replays).
 */
export function kafkaAcls(needs: KafkaNeeds, { ns, logsTopic, businessTopics }: AclContext): AclRule[] {
  const physical = (logical: string) => `${ns}.${logical}`;
  const literal = (name: string, operations: AclOperation[]): AclRule => ({ resource: 'topic', name, pattern: 'literal', operations });
  const produced = [...new Set([...needs.produces, ...(needs.shipsLogs ? [logsTopic] : [])])].sort();
  const consumed = [...new Set(needs.consumes)].filter((topic) => !produced.includes(topic)).sort();
  const rules: AclRule[] = [];
  for (const topic of produced) {
    const readsToo = needs.consumes.includes(topic);
    rules.push(literal(physical(topic), ['Write', 'Create', 'Describe', 'DescribeConfigs', ...(readsToo ? (['Read'] as const) : [])]));
    rules.push(literal(dlq(physical(topic)), ['Create', 'Describe', 'DescribeConfigs', ...(readsToo ? (['Write'] as const) : [])]));
  }
  for (const topic of consumed) {
    rules.push(literal(physical(topic), ['Read', 'Describe', 'DescribeConfigs']));
    rules.push(literal(dlq(physical(topic)), ['Write', 'Describe', 'DescribeConfigs']));
  }
  if (needs.inspects) {
    rules.push({ resource: 'topic', name: `${ns}.`, pattern: 'prefix', operations: ['Read', 'Describe', 'DescribeConfigs'] });
    rules.push({ resource: 'group', name: `${ns}.`, pattern: 'prefix', operations: ['Describe'] });
    for (const topic of [...businessTopics].sort()) rules.push(literal(physical(topic), ['Write']));
  }
  rules.push({ resource: 'group', name: `${ns}.${needs.name}.`, pattern: 'prefix', operations: ['Read', 'Describe'] });
  return rules;
}
