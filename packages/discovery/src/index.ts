export { createEtcdClient, EtcdError, type EtcdClient, type EtcdClientOptions, type KeyValue, type WatchEvent } from './etcd.ts';
export { register, type RegisterOptions, type Registration } from './register.ts';
export { createResolver, type Resolver, type ResolverOptions } from './resolver.ts';
export { createServiceClient, ServiceUnavailableError, type ServiceClient, type ServiceClientOptions } from './client.ts';
export { instanceKey, servicesPrefix, type InstanceHealth, type InstanceMessaging, type Logger, type ServiceInstance } from './types.ts';
