import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { createLogger, withLogContext } from '@meridian/log';
import { createRefusalLog } from '../src/index.ts';

function capture() {
  const lines: Record<string, any>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'refusal-test', version: '1.0.0', instance: 'i-1', level: 'info', destination }) };
}

test('a flood of refusals: its first at once, then one summary per interval while it lasts, then quiet', async () => {
  const { lines, logger } = capture();
  const log = createRefusalLog(100);
  const refuse = (n: number) => withLogContext({ reqId: `r-${n}` }, () => log.refused(logger, { n }));
  refuse(1);
  assert.deepEqual(lines.map((l) => [l.msg, l.reqId, l.n]), [['request refused: overloaded', 'r-1', 1]]);
  for (let n = 2; n <= 4; n++) refuse(n);
  assert.equal(lines.length, 1, 'the rest of the interval is counted, not logged');

  await sleep(150);
  assert.equal(lines.length, 2);
  assert.equal(lines[1].msg, '3 more requests refused as overloaded in the last 0.1 s');
  assert.equal(lines[1].refused, 3);
  assert.equal(lines[1].n, 4, 'the summary describes the last refusal');
  assert.equal(lines[1].reqId, undefined, 'the summary is written outside any request context');

  refuse(5); // still within the flood: counted for the next summary
  await sleep(150);
  assert.equal(lines.at(-1)!.refused, 1);
  await sleep(150); // an interval without refusals ends the flood
  const before = lines.length;
  refuse(6);
  assert.equal(lines.length, before + 1);
  assert.deepEqual([lines.at(-1)!.msg, lines.at(-1)!.reqId], ['request refused: overloaded', 'r-6']);
});
