// The stock-parts proxy: Fastify + @fastify/reply-from forwarding every /api/* request to BENCH_UPSTREAM
// (the catalog instance), no logger, no other plugins: what a library gateway hop costs on this machine.
import Fastify from 'fastify';
import replyFrom from '@fastify/reply-from';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream) throw new Error('BENCH_UPSTREAM is required');
const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
await app.register(replyFrom, { base: upstream });
app.get('/api/*', (request, reply) => reply.from(request.url));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ url }));
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
