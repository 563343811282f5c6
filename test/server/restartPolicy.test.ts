// The language client's crash budget: restarts stop after N crashes within the window; a manual restart resets it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../../src/lsp/restartPolicy';

test('allows max restarts within the window, then refuses', () => {
  let now = 0;
  const p = new RestartPolicy(3, 60_000, () => now);
  assert.deepEqual([p.crashed(), p.crashed(), p.crashed(), p.crashed()], [true, true, true, false]);
  // Crashes older than the window no longer count.
  now = 61_000;
  assert.equal(p.crashed(), true);
});

test('a manual restart resets the budget', () => {
  const p = new RestartPolicy(1, 60_000, () => 0);
  assert.equal(p.crashed(), true);
  assert.equal(p.crashed(), false);
  p.reset();
  assert.equal(p.crashed(), true);
});
