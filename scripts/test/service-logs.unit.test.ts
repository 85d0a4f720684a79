import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogLine } from '../lib/service-logs.ts';

test('pino JSON lines become "time level msg"', () => {
  const time = new Date(2025, 0, 2, 3, 4, 5, 67).getTime();
  const line = JSON.stringify({ level: 30, time, service: 'orders', msg: 'listening', port: 1234 });
  assert.equal(formatLogLine(line), '03:04:05.067 INFO  listening');
});

test('an error\'s message is kept', () => {
  const line = JSON.stringify({ level: 50, time: Date.now(), msg: 'relay failed', err: { message: 'ECONNREFUSED', stack: '...' } });
  assert.match(formatLogLine(line), /^\d\d:\d\d:\d\d\.\d{3} ERROR relay failed — ECONNREFUSED$/);
});

test('anything else passes through unchanged', () => {
  for (const line of ['plain text', '{not json', '{"a":1}', '  at stack frame']) assert.equal(formatLogLine(line), line);
});
