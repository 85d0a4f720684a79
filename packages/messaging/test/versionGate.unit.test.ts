import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { asVersion, createVersionGate, event, topic, type AcceptingConsumer } from '../src/index.ts';

const Shelf = topic({ name: 'shelf.events', owner: 'shelf' });
const BookShelved = event({
  topic: Shelf,
  type: 'BookShelved',
  versions: {
    1: Type.Object({ isbn: Type.String(), row: Type.Integer() }),
    2: Type.Object({ isbn: Type.String(), row: Type.Integer(), note: Type.Optional(Type.String()) }),
    3: Type.Object({ isbn: Type.String(), row: Type.Integer(), note: Type.Optional(Type.String()), shelf: Type.String() }),
  },
});

const reader = (group: string, accepts?: number[], topics = ['shelf.events']): AcceptingConsumer => ({ group, topics, accepts: accepts && { BookShelved: accepts } });

test('the gate picks the newest version at or below the asked one that every consumer of the topic reads', () => {
  let consumers: AcceptingConsumer[] = [];
  const changes: unknown[] = [];
  const gate = createVersionGate(() => consumers, (type, wanted, choice) => changes.push({ type, wanted, ...choice }));

  assert.deepEqual(gate.choose(BookShelved.v3), { version: 3, heldBackBy: [] }, 'no consumer known: as asked');
  consumers = [reader('a', [1, 2, 3]), reader('b', [1, 2]), reader('c'), reader('d', [1], ['other.events'])];
  assert.deepEqual(gate.choose(BookShelved.v3), { version: 2, heldBackBy: ['b'] }, 'c says nothing, d reads another topic');
  assert.deepEqual(gate.choose(BookShelved.v2), { version: 2, heldBackBy: [] });
  assert.deepEqual(gate.choose(BookShelved.v1), { version: 1, heldBackBy: [] }, 'never newer than asked');

  consumers = [reader('a', [3]), reader('b', [1, 2])];
  assert.deepEqual(gate.choose(BookShelved.v3), { version: 3, heldBackBy: ['b'] }, 'no version both read: as asked (b dead-letters it)');

  consumers = [reader('a', [1, 2, 3])];
  assert.deepEqual(gate.choose(BookShelved.v3), { version: 3, heldBackBy: [] });
  // Told once per change: held back to 2, back to 3; the unchanged choices in between say nothing.
  assert.deepEqual(changes, [
    { type: 'BookShelved', wanted: 3, version: 2, heldBackBy: ['b'] },
    { type: 'BookShelved', wanted: 3, version: 3, heldBackBy: ['b'] },
  ]);
});

test('an event is written as an older version by dropping what that version does not describe, when that is valid', () => {
  const older = asVersion(BookShelved.v2, 1, { isbn: '978-0', row: 4, note: 'signed' });
  assert.deepEqual(older?.data, { isbn: '978-0', row: 4 });
  assert.equal(older?.event.version, 1);
  assert.equal(older?.event.type, 'BookShelved');
  assert.equal(older?.event.schema, BookShelved.versions[1]);

  // v3 made `shelf` required; v2 data cannot be written as v3, and an unknown version gives nothing.
  assert.equal(asVersion(BookShelved.v2, 3, { isbn: '978-0', row: 4 }), undefined);
  assert.equal(asVersion(BookShelved.v2, 7, { isbn: '978-0', row: 4 }), undefined);
});
