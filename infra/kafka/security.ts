// The broker side of Kafka security, shared by the single broker (scripts/infra/kafka.ts) and the
// cluster profile (infra/kafka/cluster.ts): who the admin is, how the listeners authenticate, and
// which authorizer decides. The per-service users and their ACLs are made by scripts/kafkaUsers.ts.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A SASL login: the admin's (PLAIN on the controller listener, SCRAM on the client one) or a service's (SCRAM). */
export interface KafkaCredentials {
  username: string;
  password: string;
}

/** What every client login uses on the listener services reach. */
export const clientMechanism = 'SCRAM-SHA-512';

/** The super-user of a broker we start: brokers and controllers talk as it, so do provisioning and tests. */
export const adminUser = 'admin';

/** Where the admin's password of the broker (or cluster) whose files are under `dir` is kept (0600). */
export const adminCredentialsFile = (dir: string) => join(dir, 'admin-credentials.json');

/** The admin login kept under `dir`, or undefined when that broker was never started with authentication. */
export function readAdminCredentials(dir: string): KafkaCredentials | undefined {
  const file = adminCredentialsFile(dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as KafkaCredentials) : undefined;
}

/** The admin login kept under `dir`; a random password is generated and kept the first time. */
export function adminCredentials(dir: string): KafkaCredentials {
  const kept = readAdminCredentials(dir);
  if (kept) return kept;
  const created = { username: adminUser, password: randomBytes(24).toString('base64url') };
  mkdirSync(dir, { recursive: true });
  const file = adminCredentialsFile(dir);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return created;
}

/**
 * The listener, SASL and authorizer lines of a node's server.properties: clients (and brokers among
 * themselves) log in with SCRAM-SHA-512 on CLIENT, controllers with PLAIN on CONTROLLER (a static
 * admin, so the quorum needs no user in its metadata to form); the admin may also log in with PLAIN on
 * CLIENT, to write its SCRAM credential again when a restarted broker lost it (`adminLogsIn`).
 * KRaft's StandardAuthorizer allows only what an ACL grants, except to the admin. Nothing is reachable
 * without a login.
 */
export function securityProperties(o: { host: string; port: number; controllerPort: number; admin: KafkaCredentials }): string {
  const { username, password } = o.admin;
  return `listeners=CLIENT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}
advertised.listeners=CLIENT://${o.host}:${o.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=${clientMechanism}
sasl.mechanism.inter.broker.protocol=${clientMechanism}
listener.name.client.sasl.enabled.mechanisms=${clientMechanism},PLAIN
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";
listener.name.client.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${username}="${password}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${password}" user_${username}="${password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:${username}
allow.everyone.if.no.acl.found=false
`;
}

/** `kafka-storage format` arguments that put the admin's SCRAM credential into the first metadata. */
export function formatArguments(admin: KafkaCredentials): string[] {
  return ['--add-scram', `${clientMechanism}=[name=${admin.username},password=${admin.password}]`];
}

/** Marks a node's data directory as formatted with the admin's SCRAM credential (see `formatArguments`). */
export const securedMarker = (logDirs: string) => join(logDirs, 'meridian-sasl');
