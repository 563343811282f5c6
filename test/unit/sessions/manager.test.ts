// The session manager: sessions are listed until dismissed, stop with a reason, a context switch stops only
// the other contexts' sessions, dispose stops all and releases what they hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toDisposable } from '../../../src/core/lifecycle';
import { SessionManager } from '../../../src/sessions/manager';
import { BaseSession } from '../../../src/sessions/session';

class FakeSession extends BaseSession {
  released = false;
  constructor(id: string, context: string) {
    super(id, 'logs', context, `pod team-a/${id}`);
    this.store.add(toDisposable(() => (this.released = true)));
  }
  go(detail: string): void {
    this.setState('live', detail);
  }
}

test('add, change, stop with a reason, dismiss', () => {
  const m = new SessionManager();
  let changes = 0;
  m.onDidChange(() => changes++);
  const s = m.add(new FakeSession(m.nextId('logs'), 'a'));
  assert.equal(s.id, 'logs-1');
  s.go('10 lines');
  assert.equal(m.get('logs-1')?.detail, '10 lines');
  m.stop('logs-1', 'stopped by you');
  assert.equal(s.state, 'ended');
  assert.equal(s.endReason, 'stopped by you');
  assert.ok(s.released, 'the session released what it held');
  s.go('more'); // an ended session does not come back
  assert.equal(s.state, 'ended');
  assert.equal(m.list().length, 1, 'ended sessions stay listed');
  m.remove('logs-1');
  assert.equal(m.list().length, 0);
  assert.ok(changes >= 4, `changes: ${changes}`);
});

test('a context switch stops the sessions of other contexts only, with the reason', () => {
  const m = new SessionManager();
  const a = m.add(new FakeSession('a1', 'a'));
  const b = m.add(new FakeSession('b1', 'b'));
  a.go('x');
  b.go('y');
  assert.equal(m.stopOtherContexts('b', 'context switched to b'), 1);
  assert.equal(a.state, 'ended');
  assert.equal(a.endReason, 'context switched to b');
  assert.equal(b.state, 'live');
  m.clearEnded();
  assert.deepEqual(
    m.list().map((s) => s.id),
    ['b1'],
  );
});

test('dispose stops every session', () => {
  const m = new SessionManager();
  const a = m.add(new FakeSession('a1', 'a'));
  const b = m.add(new FakeSession('b1', 'b'));
  m.dispose();
  assert.ok(a.released && b.released);
  assert.equal(a.endReason, 'Gantry stopped');
});
