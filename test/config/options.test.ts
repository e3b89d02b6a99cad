/** Config: one options table; flags over environment; every problem listed at once; secrets never echoed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isLoopback,
  loadApiConfig,
  loadConfig,
  rawOptions,
  redactSecrets,
} from '../../src/config/options.ts';

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

  it('HTTP API: 127.0.0.1 and port 8710 by default, no token; flags over environment', () => {
    assert.deepEqual(loadApiConfig(rawOptions({}, {})), {
      ok: true,
      config: { host: '127.0.0.1', port: 8710, token: undefined },
    });
    const given = loadApiConfig(
      rawOptions({ apiPort: '0' }, { CROSSWALK_API_PORT: '9000', CROSSWALK_API_HOST: '::1' }),
    );
    assert.deepEqual(given, { ok: true, config: { host: '::1', port: 0, token: undefined } });
  });

  it('HTTP API: a host other than loopback needs a token; a bad port and a short token are named, never echoed', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com'])
      assert.equal(isLoopback(host), false, host);
    const open = loadApiConfig(rawOptions({}, { CROSSWALK_API_HOST: '0.0.0.0' }));
    assert.equal(open.ok, false);
    if (!open.ok)
      assert.deepEqual(open.problems, [
        'CROSSWALK_API_HOST (--api-host) is "0.0.0.0", which other machines can reach: set CROSSWALK_API_TOKEN (--api-token) too, or keep the default 127.0.0.1.',
      ]);
    const token = `${SECRET}-${SECRET}`;
    const guarded = loadApiConfig(
      rawOptions({}, { CROSSWALK_API_HOST: '0.0.0.0', CROSSWALK_API_TOKEN: token }),
    );
    assert.ok(guarded.ok);
    assert.equal(guarded.config.token, token);
    const bad = loadApiConfig(rawOptions({ apiPort: '70000', apiToken: 'short-secret' }, {}));
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.equal(bad.problems.length, 2);
    assert.match(bad.problems[0]!, /CROSSWALK_API_PORT \(--api-port\) is not a port: "70000"/);
    assert.match(
      bad.problems[1]!,
      /CROSSWALK_API_TOKEN \(--api-token\) is too short: use at least 16 characters/,
    );
    assert.equal(bad.problems.join('\n').includes('short-secret'), false);
  });

  it('a malformed URL option is named without the password or token it carries', () => {
    const password = 'S3cret';
    const login = loadConfig(
      rawOptions(
        {},
        {
          SALESFORCE_LOGIN_URL: `htp://user:${password}@host`,
          SALESFORCE_CLIENT_ID: 'client-id',
          SALESFORCE_CLIENT_SECRET: SECRET,
          HUBSPOT_ACCESS_TOKEN: SECRET,
        },
      ),
    );
    assert.equal(login.ok, false);
    if (login.ok) return;
    assert.deepEqual(login.problems, [
      'SALESFORCE_LOGIN_URL (--salesforce-login-url) is not an http(s) URL: "htp://***@host". Give the full URL, e.g. https://example.my.salesforce.com.',
    ]);

    // A well-formed URL with a user and password is refused too, and neither is echoed.
    const userinfo = loadConfig(
      rawOptions(
        {},
        {
          SALESFORCE_LOGIN_URL: `https://admin:${password}@login.salesforce.com`,
          SALESFORCE_CLIENT_ID: 'client-id',
          SALESFORCE_CLIENT_SECRET: SECRET,
          HUBSPOT_ACCESS_TOKEN: SECRET,
        },
      ),
    );
    assert.equal(userinfo.ok, false);
    if (userinfo.ok) return;
    assert.deepEqual(userinfo.problems, [
      'SALESFORCE_LOGIN_URL (--salesforce-login-url) carries a user or password: "https://***@login.salesforce.com". Give the URL without them; credentials have options of their own.',
    ]);

    const others = loadConfig(
      rawOptions(
        // a "/" in the password, no scheme, a token in the query: none of them is echoed
        {
          salesforceInstanceUrl: `http://user:pa/ss${password}@my host`,
          hubspotBaseUrl: `user:${password}@x`,
        },
        {
          SALESFORCE_ACCESS_TOKEN: SECRET,
          HUBSPOT_ACCESS_TOKEN: SECRET,
          DATABASE_URL: `mysql://user:${password}@db/x`,
        },
      ),
    );
    assert.equal(others.ok, false);
    if (others.ok) return;
    assert.equal(others.problems.length, 3);
    assert.match(
      others.problems[0]!,
      /^SALESFORCE_INSTANCE_URL \(--salesforce-instance-url\) is not an http\(s\) URL/,
    );
    assert.match(
      others.problems[1]!,
      /^HUBSPOT_BASE_URL \(--hubspot-base-url\) is not an http\(s\) URL: "\*\*\*@x"/,
    );
    assert.equal(others.problems.join('\n').includes(password), false, others.problems.join('\n'));
    assert.equal(others.problems.join('\n').includes('pa/ss'), false);

    const api = loadApiConfig(
      rawOptions(
        {},
        {
          HUBSPOT_CLIENT_SECRET: SECRET,
          CROSSWALK_PUBLIC_URL: `https://user:${password}@crosswalk.example.com/?access_token=${password}`,
        },
      ),
    );
    assert.equal(api.ok, false);
    if (api.ok) return;
    assert.match(
      api.problems[0]!,
      /^CROSSWALK_PUBLIC_URL \(--public-url\) is not a base URL: "https:\/\/\*\*\*@crosswalk/,
    );
    assert.equal(api.problems.join('\n').includes(password), false);
    assert.equal(api.problems.join('\n').includes(SECRET), false);
  });

  it('redactSecrets: URL passwords, Bearer tokens and values named like secrets go; emails and the rest stay', () => {
    const cases: [string, string][] = [
      ['https://user:pw@host/x', 'https://***@host/x'],
      ['GET /api/x?token=abc&category=ok&X-Signature=zz', 'GET /api/x?token=***&category=ok&X-Signature=***'],
      [
        '?api_key=1;password=2&client_secret=3&access_token=4',
        '?api_key=***;password=***&client_secret=***&access_token=***',
      ],
      ['Authorization: Bearer abc.def', 'Authorization: ***'],
      ['sent bearer abc.def, then', 'sent bearer ***, then'],
      ['{"value":{"apiKey":"a\\"b","name":"x"}}', '{"value":{"apiKey":"***","name":"x"}}'],
      ['no sync of "nobody@example.com" is recorded yet', 'no sync of "nobody@example.com" is recorded yet'],
      ['"account" is not a valid createAs', '"account" is not a valid createAs'],
      ['/api/mappings/jobtitle/rule?format=csv', '/api/mappings/jobtitle/rule?format=csv'],
      ['There is no route GET /x;token=a.b.c.', 'There is no route GET /x;token=***.'],
    ];
    for (const [text, redacted] of cases) assert.equal(redactSecrets(text), redacted, text);
    const long = redactSecrets(`${'x'.repeat(10_000)}?token=abc`);
    assert.ok(long.length < 5000 && !long.includes('abc'), 'long text is cut before it is read');
  });
});
