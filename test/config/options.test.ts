/** Config: one options table; flags over environment; every problem listed at once; secrets never echoed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, rawOptions } from '../../src/config/options.ts';

const SECRET = 'sekret-value-42';

describe('config', () => {
  it('lists every problem at once, each naming the variable and the fix', () => {
    const result = loadConfig(rawOptions({}, {}));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.problems.length, 2);
    assert.match(result.problems[0]!, /SALESFORCE_INSTANCE_URL.*SALESFORCE_ACCESS_TOKEN.*npm start/);
    assert.match(result.problems[1]!, /HUBSPOT_ACCESS_TOKEN \(--hubspot-access-token\) is missing/);
  });

  it('takes a Salesforce token or the client-credentials flow; half of either is a problem', () => {
    const token = loadConfig(
      rawOptions(
        {},
        {
          SALESFORCE_INSTANCE_URL: 'http://127.0.0.1:4010/',
          SALESFORCE_ACCESS_TOKEN: SECRET,
          HUBSPOT_ACCESS_TOKEN: SECRET,
        },
      ),
    );
    assert.ok(token.ok);
    assert.deepEqual(token.config.salesforce, {
      kind: 'token',
      instanceUrl: 'http://127.0.0.1:4010',
      accessToken: SECRET,
    });
    assert.equal(token.config.hubspot.baseUrl, 'https://api.hubapi.com');
    assert.equal(token.config.dataDir, '.crosswalk');

    const half = loadConfig(
      rawOptions(
        {},
        {
          SALESFORCE_LOGIN_URL: 'http://127.0.0.1:4010',
          SALESFORCE_CLIENT_SECRET: SECRET,
          HUBSPOT_ACCESS_TOKEN: SECRET,
        },
      ),
    );
    assert.equal(half.ok, false);
    if (!half.ok)
      assert.deepEqual(half.problems, [
        'SALESFORCE_CLIENT_ID (--salesforce-client-id) is missing: the client-credentials flow needs the login URL, the client id and the secret.',
      ]);
  });

  it('flags win over the environment; bad URLs and database URLs are named; secrets never appear', () => {
    const raw = rawOptions(
      { hubspotBaseUrl: 'not a url', databaseUrl: `mysql://u:${SECRET}@h/db` },
      {
        HUBSPOT_BASE_URL: 'http://127.0.0.1:4020',
        HUBSPOT_ACCESS_TOKEN: SECRET,
        SALESFORCE_INSTANCE_URL: 'http://127.0.0.1:4010',
        SALESFORCE_ACCESS_TOKEN: SECRET,
      },
    );
    const result = loadConfig(raw);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.problems.length, 2);
    assert.match(
      result.problems[0]!,
      /HUBSPOT_BASE_URL \(--hubspot-base-url\) is not an http\(s\) URL: "not a url"/,
    );
    assert.match(result.problems[1]!, /DATABASE_URL .* is not a PostgreSQL URL/);
    assert.equal(result.problems.join('\n').includes(SECRET), false);
  });
});
