/** The poll position with its overlap memory: what a re-read may skip, and what counts as new (C3). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PollCursor } from '../../../src/engine/runs/poll-cursor.ts';

const MINUTE = 60_000;

describe('PollCursor', () => {
  it('starts at 0 and reads from 0; a bare number (an older cursor) is a position with no memory', () => {
    const fresh = PollCursor.parse(null, MINUTE);
    assert.deepEqual([fresh.stamp, fresh.from], [0, 0]);
    const old = PollCursor.parse(String(10 * MINUTE), MINUTE);
    assert.deepEqual([old.stamp, old.from], [10 * MINUTE, 9 * MINUTE]);
    assert.equal(old.processed({ id: 'a', stamp: 10 * MINUTE, digest: 'x' }), false);
  });

  it('a record read again in the same state is processed; a new stamp or new content is not', () => {
    const cursor = PollCursor.parse(null, MINUTE);
    cursor.advance([{ id: 'a', stamp: 1000, digest: 'v1' }]);
    assert.equal(cursor.processed({ id: 'a', stamp: 1000, digest: 'v1' }), true);
    assert.equal(cursor.processed({ id: 'a', stamp: 2000, digest: 'v1' }), false);
    // Salesforce keeps whole seconds: a second change in the same second keeps the stamp.
    assert.equal(cursor.processed({ id: 'a', stamp: 1000, digest: 'v2' }), false);
    assert.equal(cursor.processed({ id: 'b', stamp: 1000, digest: 'v1' }), false);
    assert.equal(cursor.saw('a'), true);
    assert.equal(cursor.saw('b'), false);
  });

  it('moves to the highest stamp and forgets what falls out of the overlap; it survives a round trip', () => {
    const cursor = PollCursor.parse(null, MINUTE);
    cursor.advance([
      { id: 'old', stamp: 1000, digest: 'o' },
      { id: 'new', stamp: 1000 + MINUTE / 2, digest: 'n' },
    ]);
    const stored = cursor.advance([{ id: 'later', stamp: 1000 + MINUTE + 1, digest: 'l' }]);
    const back = PollCursor.parse(stored, MINUTE);
    assert.equal(back.stamp, 1000 + MINUTE + 1);
    assert.equal(back.from, 1001);
    assert.equal(back.saw('old'), false, 'out of the overlap: forgotten');
    assert.equal(back.processed({ id: 'new', stamp: 1000 + MINUTE / 2, digest: 'n' }), true);
    assert.equal(back.processed({ id: 'later', stamp: 1000 + MINUTE + 1, digest: 'l' }), true);
  });

  it('issue 15: a poll complete up to a time moves the overlap with it, so a quiet system reads nothing again', () => {
    const cursor = PollCursor.parse(null, MINUTE);
    cursor.advance([{ id: 'a', stamp: 10 * MINUTE, digest: 'x' }]);
    // Polled up to 30 s after the change: the overlap still starts before the change.
    const soon = PollCursor.parse(cursor.finish(10 * MINUTE + MINUTE / 2), MINUTE);
    assert.equal(soon.from, 9 * MINUTE + MINUTE / 2);
    assert.equal(soon.processed({ id: 'a', stamp: 10 * MINUTE, digest: 'x' }), true, 'still remembered');
    // Polled up to two minutes after it: the change is out of the overlap, and forgotten.
    const later = PollCursor.parse(soon.finish(12 * MINUTE), MINUTE);
    assert.deepEqual([later.stamp, later.from], [10 * MINUTE, 11 * MINUTE]);
    assert.equal(later.saw('a'), false);
    // An earlier `until` (a clock set back) never moves the start back.
    assert.equal(PollCursor.parse(later.finish(MINUTE), MINUTE).from, 11 * MINUTE);
    // A newer change past `until` leads again.
    later.advance([{ id: 'b', stamp: 13 * MINUTE, digest: 'y' }]);
    assert.equal(later.from, 12 * MINUTE);
  });

  it('reads the earlier form that listed created records: they were seen, but not in a known state', () => {
    const back = PollCursor.parse(JSON.stringify({ stamp: 5000, created: [['a', 4000]] }), MINUTE);
    assert.equal(back.saw('a'), true);
    assert.equal(back.processed({ id: 'a', stamp: 4000, digest: 'd' }), false);
  });
});
