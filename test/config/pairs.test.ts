/**
 * Connection pairs as declared (src/config/pairs.ts): the pairs file checked field by field, secrets
 * sealed with AES-256-GCM under CROSSWALK_SECRET_KEY (never stored in clear), `pairs apply` planned as
 * a diff that is idempotent, and a registered pair turned back into a connection config.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePairsFile,
  planPairs,
  resolvePair,
  seal,
  secretKey,
  unseal,
  type RegisteredPair,
} from '../../src/config/pairs.ts';

const KEY_HEX = 'a1'.repeat(32);
const key = (() => {
  const k = secretKey(KEY_HEX);
  assert.ok(k.ok);
  return k.value;
})();

const acme = {
  id: 'acme',
  name: 'Acme',
  salesforce: { instanceUrl: 'https://acme.my.salesforce.com/', accessToken: { env: 'ACME_SF_TOKEN' } },
  hubspot: { accessToken: { value: 'example-acme-credential' }, portalId: 4242 },
};
const file = (...pairs: unknown[]) => JSON.stringify({ pairs });

function parsed(text: string) {
  const result = parsePairsFile(text);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
  return result.value;
}

describe('pairs file', () => {
  it('reads pairs, defaulting enabled to true and trimming URL slashes', () => {
    const [pair] = parsed(file(acme));
    assert.equal(pair?.enabled, true);
    assert.deepEqual(pair?.salesforce, {
      instanceUrl: 'https://acme.my.salesforce.com',
      accessToken: { env: 'ACME_SF_TOKEN' },
    });
  });

  it('names every problem with its field: bad id, duplicate id, unknown field, bad env name, URL with a password', () => {
    const result = parsePairsFile(
      file({ ...acme, id: 'Acme Corp' }, { ...acme, extra: 1 }, acme, {
        ...acme,
        id: 'beta',
        salesforce: { instanceUrl: 'https://u:pw@beta.example', accessToken: { env: 'lower-case' } },
      }),
    );
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    assert.match(text, /pairs\[0\]\.id: must be 1 to 63 lower-case letters/);
    assert.match(text, /pairs\[1\]: .*extra/i);
    assert.match(text, /pairs\[2\]\.id: "acme" is declared twice/);
    assert.match(text, /pairs\[3\]\.salesforce/);
    assert.equal(text.includes('pw@'), false, 'the password is not echoed');
    const notJson = parsePairsFile('{');
    assert.equal(notJson.ok, false);
    if (!notJson.ok) assert.match(notJson.problems[0]!, /^the file is not JSON/);
  });
});

describe('sealed secrets (AES-256-GCM under CROSSWALK_SECRET_KEY)', () => {
  it('seals and opens; each seal differs; another key or a changed byte does not open it', () => {
    const a = seal('pat-secret', key);
    const b = seal('pat-secret', key);
    assert.notEqual(a, b, 'a fresh IV each time');
    assert.equal(a.includes('pat-secret'), false);
    assert.equal(unseal(a, key), 'pat-secret');
    const other = secretKey(Buffer.alloc(32, 7).toString('base64'));
    assert.ok(other.ok);
    assert.equal(unseal(a, other.value), null);
    const [v, iv, tag, body] = a.split(':');
    const flipped = Buffer.from(body!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    assert.equal(
      unseal([v, iv, tag, flipped.toString('base64')].join(':'), key),
      null,
      'tampering is caught',
    );
    assert.equal(unseal('not sealed', key), null);
  });

  it('refuses a missing or malformed key, saying how to make one, without echoing it', () => {
    for (const text of [undefined, '', 'short', 'zz'.repeat(32)]) {
      const result = secretKey(text);
      assert.equal(result.ok, false, String(text));
      if (!result.ok) {
        assert.match(result.problems[0]!, /CROSSWALK_SECRET_KEY/);
        assert.match(result.problems[0]!, /openssl rand -hex 32/);
        if (text) assert.equal(result.problems[0]!.includes(text), false);
      }
    }
  });
});

describe('pairs apply: planned as a diff, idempotent', () => {
  it('adds new pairs with secrets sealed, never in clear', () => {
    const plan = planPairs([], parsed(file(acme)), { key, prune: false });
    assert.ok(plan.ok);
    const [add] = plan.value;
    assert.equal(add?.action, 'add');
    if (add?.action !== 'add') return;
    const stored = JSON.stringify(add.record.definition);
    assert.equal(stored.includes('example-acme-credential'), false);
    assert.match(stored, /"sealed":"v1:/);
    assert.equal(add.record.name, 'Acme');
  });

  it('applying the same file again changes nothing (the sealed value is kept when it opens to the same secret)', () => {
    const first = planPairs([], parsed(file(acme)), { key, prune: false });
    assert.ok(first.ok && first.value[0]?.action === 'add');
    const registered: RegisteredPair[] = first.value.flatMap((c) => (c.action === 'add' ? [c.record] : []));
    const again = planPairs(registered, parsed(file(acme)), { key, prune: false });
    assert.deepEqual(again.ok && again.value, [{ action: 'unchanged', id: 'acme' }]);
    // A changed secret, name and enabled flag are a change, naming what differs.
    const changed = planPairs(
      registered,
      parsed(
        file({
          ...acme,
          name: 'Acme Inc',
          enabled: false,
          hubspot: { ...acme.hubspot, accessToken: { value: 'new' } },
        }),
      ),
      { key, prune: false },
    );
    assert.ok(changed.ok);
    assert.deepEqual(
      changed.value.map((c) => [c.action, c.action === 'change' ? c.fields : []]),
      [['change', ['name', 'enabled', 'hubspot']]],
    );
  });

  it('registered pairs the file leaves out are kept, or removed with prune — never the default pair', () => {
    const current: RegisteredPair[] = [
      { id: 'default', name: 'default', enabled: true, definition: {} },
      { id: 'old', name: 'Old', enabled: true, definition: {} },
    ];
    const kept = planPairs(current, [], { key, prune: false });
    assert.deepEqual(kept.ok && kept.value.map((c) => c.action), ['keep', 'keep']);
    const pruned = planPairs(current, [], { key, prune: true });
    assert.deepEqual(pruned.ok && pruned.value.map((c) => [c.id, c.action]), [
      ['default', 'keep'],
      ['old', 'remove'],
    ]);
  });

  it('a secret value without CROSSWALK_SECRET_KEY is refused, naming the pair and field; env names need no key', () => {
    const refused = planPairs([], parsed(file(acme)), { key: undefined, prune: false });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.match(refused.problems[0]!, /^acme\.hubspot\.accessToken: a value needs CROSSWALK_SECRET_KEY/);
      assert.equal(refused.problems.join('').includes('example-acme-credential'), false);
    }
    const envOnly = planPairs(
      [],
      parsed(file({ ...acme, hubspot: { accessToken: { env: 'ACME_HS_TOKEN' } } })),
      { key: undefined, prune: false },
    );
    assert.equal(envOnly.ok, true);
  });
});

describe('a registered pair as a connection', () => {
  const registered = (() => {
    const plan = planPairs([], parsed(file(acme)), { key, prune: false });
    assert.ok(plan.ok && plan.value[0]?.action === 'add');
    return plan.value[0].record;
  })();

  it('reads credentials from the variables it names and unseals the rest', () => {
    const resolved = resolvePair(registered, { ACME_SF_TOKEN: 'sf-token' }, key);
    assert.ok(resolved.ok, resolved.ok ? '' : resolved.problems.join('\n'));
    assert.deepEqual(resolved.value.salesforce, {
      kind: 'token',
      instanceUrl: 'https://acme.my.salesforce.com',
      accessToken: 'sf-token',
    });
    assert.deepEqual(resolved.value.hubspot, {
      baseUrl: 'https://api.hubapi.com',
      accessToken: 'example-acme-credential',
    });
    assert.equal(resolved.value.portalId, 4242);
  });

  it('names what is missing: an unset variable, no key, the wrong key', () => {
    const other = secretKey('b2'.repeat(32));
    assert.ok(other.ok);
    const cases = [
      [
        resolvePair(registered, {}, key),
        /pair acme: salesforce\.accessToken reads ACME_SF_TOKEN, which is not set/,
      ],
      [
        resolvePair(registered, { ACME_SF_TOKEN: 't' }, undefined),
        /hubspot\.accessToken is sealed and CROSSWALK_SECRET_KEY is not set/,
      ],
      [
        resolvePair(registered, { ACME_SF_TOKEN: 't' }, other.value),
        /does not open with CROSSWALK_SECRET_KEY/,
      ],
    ] as const;
    for (const [result, pattern] of cases) {
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problems.join('\n'), pattern);
    }
  });
});
