import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumSamples } from '../server/outbox.ts';

const exposition = `# HELP outbox_backlog Unpublished outbox rows
# TYPE outbox_backlog gauge
outbox_backlog 3
outbox_backlog_total 99
outbox_oldest_age_seconds{db="orders"} 1.5
outbox_oldest_age_seconds{db="other"} 0.5
outbox_oldest_unpublished_age_seconds 4
http_request_duration_seconds_bucket{le="+Inf",route="/x"} 4
`;

test('sumSamples adds every sample of exactly the named metric', () => {
  assert.equal(sumSamples(exposition, 'outbox_backlog'), 3);
  assert.equal(sumSamples(exposition, 'outbox_oldest_age_seconds'), 2);
  assert.equal(sumSamples(exposition, 'outbox_oldest_unpublished_age_seconds'), 4);
});

test('sumSamples is undefined for a metric the instance does not expose', () => {
  assert.equal(sumSamples(exposition, 'cache_requests_total'), undefined);
});
