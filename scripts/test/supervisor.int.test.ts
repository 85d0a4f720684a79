import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@meridian/testkit';
import { lastWords, supervise } from '../lib/supervisor.ts';

test('a crashed child is restarted, and the crash message quotes its last error output', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-supervisor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'crash.mjs');
  // crashes on its first run only (a marker file remembers it), then stays up
  writeFileSync(script, `
    import { existsSync, writeFileSync } from 'node:fs';
    const marker = ${JSON.stringify(join(dir, 'crashed'))};
    console.log('started');
    if (!existsSync(marker)) { writeFileSync(marker, ''); setTimeout(() => { throw new Error('the ledger is gone'); }, 10); }
    else setInterval(() => {}, 1000);
  `);
  const printed: string[] = [];
  const logFile = join(dir, 'crash.log');
  const child = supervise({ name: 'crasher', script, cwd: dir, env: process.env, logFile, print: (line) => printed.push(line), prefix: 'crasher |', rawLogs: true });
  t.after(() => child.stop());

  const crash = await waitFor(() => printed.find((line) => line.startsWith('[platform] ✖ crasher exited')), { timeoutMs: 10_000, message: 'the crash message' });
  assert.match(crash, /exited \(code 1\) — restarting in 1 s \(restart 1\/5\)/);
  assert.match(crash, /its last error output:\n {4}Error: the ledger is gone\n {4}at /, 'the error and where it was thrown are quoted');
  await waitFor(() => printed.filter((line) => line === 'crasher | started').length === 2 || undefined, { timeoutMs: 10_000, message: 'the restart' });
  assert.equal(child.state(), 'running');
  assert.match(readFileSync(logFile, 'utf8'), /the ledger is gone/, 'the raw output is in the log file');
});

test('the quote is the last error headline and its first frame, else the last two lines, else nothing', () => {
  const uncaught = ['file:///x.mjs:3', '  throw err;', '  ^', '', 'TypeError: x is not a function', '    at run (file:///x.mjs:3:9)', '    at main (file:///x.mjs:9:1)', '', 'Node.js v24.9.0'];
  assert.equal(lastWords(uncaught), '\n  its last error output:\n    TypeError: x is not a function\n    at run (file:///x.mjs:3:9)');
  assert.equal(lastWords(['warming up', 'out of memory, giving up']), '\n  its last error output:\n    warming up\n    out of memory, giving up');
  assert.equal(lastWords([]), '');
  assert.equal(lastWords(['', '  ']), '');
});
