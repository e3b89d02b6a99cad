/** T3, issue 15: the import's set of HubSpot emails, held as digests in one typed array. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EmailSet } from '../../src/engine/email-set.ts';

describe('T3: EmailSet', () => {
  it('T3: holds every email added, through its growth, and counts each once', () => {
    const set = new EmailSet(['a@example.com']);
    for (let i = 0; i < 50_000; i++) set.add(`person${i}@example.com`);
    set.add('a@example.com');
    set.add('person7@example.com');
    assert.equal(set.size, 50_001);
    for (let i = 0; i < 50_000; i += 997) assert.equal(set.has(`person${i}@example.com`), true, `person${i}`);
    assert.equal(set.has('a@example.com'), true);
  });

  it('T3: does not hold emails never added (no false "may have" among 100,000)', () => {
    const set = new EmailSet();
    for (let i = 0; i < 100_000; i++) set.add(`in${i}@example.com`);
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) if (set.has(`out${i}@example.com`)) wrong++;
    assert.equal(wrong, 0);
    assert.equal(new EmailSet().has(''), false);
  });
});
