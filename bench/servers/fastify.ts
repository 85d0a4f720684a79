// Bare Fastify (no logger, no plugins) answering GET /api/v1/products/:id with BENCH_BODY (JSON).
import Fastify from 'fastify';

const body = process.env.BENCH_BODY ?? '{}';
const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
app.get('/api/v1/products/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ url }));
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
