import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInstance } from '@meridian/discovery';
import { event, topic } from '@meridian/messaging';
import { Type } from 'typebox';
import { droppedVersionsInUse } from '../lib/eventCompat.ts';

const Shelf = topic({ name: 'shelf.events', owner: 'shelf' });
const V1 = Type.Object({ isbn: Type.String() });
const V2 = Type.Object({ isbn: Type.String(), note: Type.Optional(Type.String()) });
const readsBoth = event({ topic: Shelf, type: 'BookShelved', versions: { 1: V1, 2: V2 } });
const readsV2 = event({ topic: Shelf, type: 'BookShelved', versions: { 2: V2 } });

const producer = (instanceId: string, emits: number[] | undefined, produces = ['shelf.events']): ServiceInstance => ({
  service: 'shelf',
  version: '1.4.0',
  instanceId,
  url: 'http://127.0.0.1:1',
  apiVersions: ['v1'],
  health: 'ready',
  startedAt: '2026-12-05T00:00:00.000Z',
  messaging: { produces, consumes: [], emits: emits && { BookShelved: emits } },
});

test('a consumer build that drops an event version is refused while a running producer has emitted it', () => {
  const running = [producer('old', [1, 2]), producer('new', [2]), producer('quiet', undefined), producer('elsewhere', [1], ['other.events'])];
  assert.deepEqual(droppedVersionsInUse('library', [readsV2], running), [
    'shelf 1.4.0 (old) still emits BookShelved v1, which the new build of library no longer reads (it reads v2)',
  ]);
  assert.deepEqual(droppedVersionsInUse('library', [readsBoth], running), []);
  assert.deepEqual(droppedVersionsInUse('library', [readsV2], running.filter((i) => i.instanceId !== 'old')), [], 'once the old producer is gone');
});
