/** Connection pair ids: what is one, and the message that says what is not. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPairId, DEFAULT_PAIR, pairIdProblem } from '../../src/core/pairs.ts';

describe('connection pair ids', () => {
  it('takes lower-case letters, digits and dashes, starting with a letter or digit, up to 63', () => {
    for (const id of [DEFAULT_PAIR, 'acme', 'acme-eu', '0', '9lives', 'a-', 'x'.repeat(63)]) {
      assert.equal(pairIdProblem(id), null, id);
      assert.equal(checkPairId(id), id);
    }
  });

  it('refuses anything else, naming the fix', () => {
    for (const id of [
      '',
      '-acme',
      'Acme',
      'acme eu',
      'acme_eu',
      'acme.eu',
      'acmé',
      'x'.repeat(64),
      'a\n',
      ' a',
    ]) {
      const problem = pairIdProblem(id);
      assert.ok(problem !== null, JSON.stringify(id));
      assert.match(
        problem,
        /is not a valid connection pair id: use 1 to 63 lower-case letters, digits and dashes/,
      );
      assert.throws(() => checkPairId(id), { message: problem });
    }
    assert.match(pairIdProblem('Bad Id') ?? '', /^"Bad Id" is not/);
    assert.ok((pairIdProblem('y'.repeat(500)) ?? '').length < 300, 'a long id is shown cut short');
  });
});
