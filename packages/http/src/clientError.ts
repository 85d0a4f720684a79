import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HttpProblem, slugForStatus } from './problem.ts';

const details: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request was not received in time.',
  431: 'The request headers are too large.',
};

/**
 * Answers errors Node's HTTP parser raises before any route runs (malformed requests, header
 * overflow, timeouts) with problem+json like every other error, then closes the connection.
 * Use as Fastify's `clientErrorHandler`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(new HttpProblem(status, slugForStatus(status), details[status]!).toProblem());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
