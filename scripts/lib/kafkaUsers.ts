// A Kafka login per process kind of a namespace: a SCRAM-SHA-512 user `<ns>.<name>` with a generated
// password (kept like the database ones, scripts/lib/credentials.ts) and the ACLs of infra/kafka/acls.ts.
// Made with the broker admin's login; what a service gets is only its own.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logsTopic, logsTopicSettings } from '@meridian/log';
import { defineTopic, type TopicDefinition } from '@meridian/messaging';
import {
  Admin,
  AclOperations,
  AclPermissionTypes,
  alterUserScramCredentialsV0,
  Connection,
  describeUserScramCredentialsV0,
  ResourcePatternTypes,
  ResourceTypes,
  ScramMechanisms,
  type Acl,
  type AclOperationValue,
} from '@platformatic/kafka';
import type { KafkaConnection } from '@meridian/config';
import { kafkaAcls, type AclContext, type AclOperation, type AclRule, type KafkaNeeds } from '../../infra/kafka/acls.ts';
import type { KafkaCredentials } from '../../infra/kafka/security.ts';
import { passwordsFor } from './credentials.ts';
import { hostPort } from './proc.ts';

/**
 * What each process the launcher runs does with Kafka: a service's from its definition (a folder
 * without one, a bare process, only ships logs), the web apps' from apps/index.ts. Whoever reads the
 * logs topic does not ship its own lines there. `topics`: every topic they declare, the logs topic included.
 */
export async function platformKafkaNeeds(
  servicesDir: string, services: string[], apps: { name: string; kafka: { consumes: string[]; inspects?: boolean } }[],
): Promise<{ needs: KafkaNeeds[]; topics: TopicDefinition[] }> {
  const { serviceInfo } = await import('../../infra/k8s/render.ts');
  const topics = new Map<string, TopicDefinition>([[logsTopic, defineTopic(logsTopicSettings)]]);
  const needs = await Promise.all(services.map(async (name): Promise<KafkaNeeds> => {
    if (name !== 'gateway' && !existsSync(join(servicesDir, name, 'src', 'service.ts'))) return { name, produces: [], consumes: [], shipsLogs: true };
    const info = await serviceInfo(servicesDir, name);
    for (const topic of info.topics) topics.set(topic.name, topic);
    return { name, produces: info.produces, consumes: info.consumes, shipsLogs: !info.consumes.includes(logsTopic) };
  }));
  const appNeeds = apps.map((app) => ({ name: app.name, produces: [], consumes: app.kafka.consumes, shipsLogs: true, inspects: app.kafka.inspects }));
  return { needs: [...needs, ...appNeeds], topics: [...topics.values()] };
}

/** The SCRAM user of process kind `name` in namespace `ns`. */
export const kafkaUsername = (ns: string, name: string) => `${ns}.${name}`;

const operationCodes: Record<AclOperation, AclOperationValue> = {
  Read: AclOperations.READ,
  Write: AclOperations.WRITE,
  Create: AclOperations.CREATE,
  Describe: AclOperations.DESCRIBE,
  DescribeConfigs: AclOperations.DESCRIBE_CONFIGS,
};

/** The broker's form of `rules`, one ACL per operation, all ALLOW from any host. */
export function brokerAcls(principal: string, rules: AclRule[]): Acl[] {
  return rules.flatMap((rule) =>
    rule.operations.map((operation) => ({
      resourceType: rule.resource === 'topic' ? ResourceTypes.TOPIC : ResourceTypes.GROUP,
      resourceName: rule.name,
      resourcePatternType: rule.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
      principal: `User:${principal}`,
      host: '*',
      operation: operationCodes[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

const aclKey = (acl: Acl) =>
  [acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.principal, acl.host, acl.operation, acl.permissionType].join('|');

/** Runs `fn` on a connection to the first broker that takes the admin's login. */
async function withAdminConnection<T>(connection: KafkaConnection, fn: (conn: Connection) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const broker of connection.bootstrapBrokers) {
    const { host, port } = hostPort(broker, 9092);
    const conn = new Connection('meridian-kafka-users', { sasl: connection.sasl });
    try {
      await conn.connect(host, port);
    } catch (error) {
      lastError = error;
      await conn.close().catch(() => {});
      continue;
    }
    try {
      return await fn(conn);
    } finally {
      await conn.close().catch(() => {});
    }
  }
  throw new Error(`no Kafka broker of ${connection.bootstrapBrokers.join(',')} took the admin login`, { cause: lastError });
}

/** Sets (or replaces) the SCRAM-SHA-512 credential of each user; the salted form is computed here, as Kafka's tools do. */
export async function upsertScramUsers(connection: KafkaConnection, users: KafkaCredentials[]): Promise<void> {
  const iterations = 8192;
  const upsertions = users.map(({ username, password }) => {
    const salt = randomBytes(32);
    return { name: username, mechanism: ScramMechanisms.SCRAM_SHA_512, iterations, salt, saltedPassword: pbkdf2Sync(password, salt, iterations, 64, 'sha512') };
  });
  const response = await withAdminConnection(connection, (conn) => alterUserScramCredentialsV0.api.async(conn, [], upsertions));
  const failed = response.results.filter((result) => result.errorCode !== 0);
  if (failed.length > 0) throw new Error(`Kafka refused SCRAM users: ${failed.map((f) => `${f.user}: ${f.errorMessage ?? f.errorCode}`).join('; ')}`);
}

export interface ProvisionKafkaUsersOptions extends AclContext {
  /** The admin's connection (KAFKA_SASL_* of the infra env). */
  connection: KafkaConnection;
  needs: KafkaNeeds[];
  /** Where the generated passwords are kept (`MERIDIAN_DATA_DIR`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Makes (idempotently) each process kind's user with its kept or new password, and leaves it exactly
 * the ACLs `kafkaAcls` derives (stale ones are removed). Returns each kind's login by name.
 */
export async function provisionKafkaUsers(options: ProvisionKafkaUsersOptions): Promise<Record<string, KafkaCredentials>> {
  const { connection, ns, needs } = options;
  const passwords = passwordsFor('kafka', ns, needs.map((n) => n.name), options.env);
  const logins = Object.fromEntries(needs.map((n) => [n.name, { username: kafkaUsername(ns, n.name), password: passwords[n.name]! }]));
  await upsertScramUsers(connection, Object.values(logins));

  const admin = new Admin({ clientId: 'meridian-kafka-users', ...connection });
  try {
    const wanted = needs.flatMap((n) => brokerAcls(logins[n.name]!.username, kafkaAcls(n, options)));
    const existing = await aclsOf(admin, new Set(Object.values(logins).map((login) => `User:${login.username}`)));
    const wantedKeys = new Set(wanted.map(aclKey));
    const existingKeys = new Set(existing.map(aclKey));
    const stale = existing.filter((acl) => !wantedKeys.has(aclKey(acl)));
    const missing = wanted.filter((acl) => !existingKeys.has(aclKey(acl)));
    if (stale.length > 0) await admin.deleteAcls({ filters: stale });
    if (missing.length > 0) await admin.createAcls({ creations: missing });
  } finally {
    await admin.close();
  }
  return logins;
}

/** Every ACL whose principal is one of `principals` (`User:<name>`), or matches `principalFilter`. */
async function aclsOf(admin: Admin, principals: Set<string> | ((principal: string) => boolean)): Promise<Acl[]> {
  const described = await admin.describeAcls({
    filter: {
      resourceType: ResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: null,
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    },
  });
  const wanted = typeof principals === 'function' ? principals : (principal: string) => principals.has(principal);
  return described.flatMap((resource) =>
    resource.acls
      .filter((acl) => wanted(acl.principal))
      .map((acl): Acl => ({ ...acl, resourceType: resource.resourceType, resourceName: resource.resourceName, resourcePatternType: resource.resourcePatternType })),
  );
}

/** Removes every user `<ns>.*` and its ACLs (what `npm run reset` and the test runs' wipe do). Returns how many users. */
export async function dropKafkaUsers(connection: KafkaConnection, ns: string): Promise<number> {
  const prefix = `${ns}.`;
  const admin = new Admin({ clientId: 'meridian-kafka-users', ...connection });
  try {
    const acls = await aclsOf(admin, (principal) => principal.startsWith(`User:${prefix}`));
    if (acls.length > 0) await admin.deleteAcls({ filters: acls });
  } finally {
    await admin.close();
  }
  return withAdminConnection(connection, async (conn) => {
    const described = await describeUserScramCredentialsV0.api.async(conn, null);
    const users = described.results.map((result) => result.user).filter((user) => user.startsWith(prefix));
    if (users.length === 0) return 0;
    await alterUserScramCredentialsV0.api.async(conn, users.map((name) => ({ name, mechanism: ScramMechanisms.SCRAM_SHA_512 })), []);
    return users.length;
  });
}
