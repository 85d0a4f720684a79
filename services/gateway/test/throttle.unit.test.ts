import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createThrottle } from '../src/throttle.ts';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('refuses nothing while the service refuses nothing', () => {
  const time = clock();
  const throttle = createThrottle({ now: time.now, random: () => 0 });
  for (let i = 0; i < 1000; i++) {
    assert.equal(throttle.shouldRefuse(), false);
    throttle.answered(true);
    time.advance(1);
  }
});

test('while the service refuses, about K times what it accepts still reaches it', () => {
  const time = clock();
  // The service accepts 60 of every second's requests and refuses the rest; 200 arrive a second.
  let random = 0;
  const throttle = createThrottle({ now: time.now, random: () => (random = (random + 0.6180339887) % 1), k: 1.25, windowMs: 2000 });
  let forwarded = 0;
  let acceptedThisSecond = 0;
  for (let ms = 0; ms < 10_000; ms += 5) {
    if (ms % 1000 === 0) acceptedThisSecond = 0;
    if (!throttle.shouldRefuse()) {
      if (ms >= 5000) forwarded += 1;
      const accepted = acceptedThisSecond < 60;
      if (accepted) acceptedThisSecond += 1;
      throttle.answered(accepted);
    }
    time.advance(5);
  }
  const perSecond = forwarded / 5;
  assert.ok(perSecond > 60 * 1.1 && perSecond < 60 * 1.5, `${perSecond}/s forwarded for 60/s accepted`);
});

test('lets go within its window once the service accepts again', () => {
  const time = clock();
  let random = 0;
  const throttle = createThrottle({ now: time.now, random: () => (random = (random + 0.6180339887) % 1), windowMs: 2000 });
  let forwarded = 0;
  let refusedHere = 0;
  for (let i = 0; i < 800; i++) {
    if (throttle.shouldRefuse()) refusedHere += i >= 400 ? 1 : 0;
    else throttle.answered(forwarded++ % 4 === 0); // the service takes one in four
    time.advance(5);
  }
  assert.ok(refusedHere > 100, `${refusedHere} of 400 refused here while the service refused three in four`);
  time.advance(2100); // the burst is over: a window later nothing of it counts
  for (let i = 0; i < 50; i++) {
    assert.equal(throttle.shouldRefuse(), false);
    throttle.answered(true);
    time.advance(5);
  }
});
