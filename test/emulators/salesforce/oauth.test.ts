/**
 * OAuth against the Salesforce emulator, driven through jsforce 3.10.16 unchanged: client credentials,
 * username-password, authorization code with refresh (including jsforce's own refresh on a 401),
 * revoke, bad tokens, and API versions.
 */
import { after, before, describe, it } from 'node:test';
import type { LoggedRequest } from '../../../src/emulators/shared/request-log.ts';
import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import {
  startSalesforceEmulator,
  type SalesforceEmulator,
} from '../../../src/emulators/salesforce/server.ts';
import { API_VERSION, sfError } from '../../helpers/salesforce.ts';

const USERNAME = 'integration@crosswalk.example';
const REDIRECT_URI = 'http://127.0.0.1:1/callback';

/** The error jsforce's OAuth2 class threw: it names the error after the OAuth `error` field. */
async function oauthError(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('Salesforce emulator: OAuth through jsforce', () => {
  let em: SalesforceEmulator;
  const adminPost = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${em.url}/__emulator${path}`, { method: 'POST' });
    assert.equal(response.status, 200, `admin POST ${path}`);
    return (await response.json()) as T;
  };
  const requestLog = async (limit: number): Promise<LoggedRequest[]> => {
    const response = await fetch(`${em.url}/__emulator/requests?limit=${limit}`);
    return ((await response.json()) as { requests: LoggedRequest[] }).requests;
  };
  const oauthConnection = (extra: { redirectUri?: string; clientSecret?: string } = {}) =>
    new Connection({
      oauth2: {
        loginUrl: em.url,
        clientId: em.clientId,
        clientSecret: extra.clientSecret ?? em.clientSecret,
        ...(extra.redirectUri ? { redirectUri: extra.redirectUri } : {}),
      },
      version: API_VERSION,
    });
  /** The authorization code the emulator puts in its redirect (the redirect itself is not followed). */
  const authorizationCode = async (conn: Connection, state: string): Promise<string> => {
    const response = await fetch(conn.oauth2.getAuthorizationUrl({ state }), { redirect: 'manual' });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('state'), state);
    const code = location.searchParams.get('code');
    assert.ok(code, 'the redirect carries a code');
    return code;
  };

  before(async () => {
    em = await startSalesforceEmulator({
      port: 0,
      seedCount: 20,
      clientId: 'test-client',
      clientSecret: 'test-secret',
    });
  });
  after(() => em.close());

  describe('client credentials', () => {
    it('returns the real token shape, and the token works for a query', async () => {
      const conn = oauthConnection();
      const userInfo = await conn.authorize({ grant_type: 'client_credentials' });
      const integration = em.org.users.find((u) => u.username === USERNAME)!;
      assert.equal(userInfo.organizationId, em.org.orgId);
      assert.equal(userInfo.id, integration.id);
      assert.equal(userInfo.url, `${em.url}/id/${em.org.orgId}/${integration.id}`);
      assert.match(em.org.orgId, /^00D[a-zA-Z0-9]{15}$/);
      assert.match(integration.id, /^005[a-zA-Z0-9]{15}$/);
      assert.equal(conn.instanceUrl, em.url);
      assert.ok(conn.accessToken && conn.accessToken !== em.accessToken, 'a new access token was issued');
      assert.equal(conn.refreshToken ?? undefined, undefined, 'client credentials issue no refresh token');

      const result = await conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 3');
      assert.equal(result.records.length, 3);
    });

    it('answers the raw token request with token_format opaque and Bearer', async () => {
      const response = await fetch(`${em.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: em.clientId,
          client_secret: em.clientSecret,
        }).toString(),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json(;|$)/);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.token_format, 'opaque');
      assert.equal(body.instance_url, em.url);
      assert.match(String(body.issued_at), /^\d{13}$/);
      assert.equal(typeof body.signature, 'string');
      assert.equal(body.refresh_token, undefined);
    });

    it('gives the identity of the token user (also without userInfo, via the version resource)', async () => {
      const conn = oauthConnection();
      await conn.authorize({ grant_type: 'client_credentials' });
      const identity = await conn.identity();
      assert.equal(identity.username, USERNAME);
      assert.equal(identity.organization_id, em.org.orgId);

      // A connection made from a bare token has no userInfo: jsforce reads `identity` from the version resource.
      const bare = new Connection({
        instanceUrl: em.url,
        accessToken: conn.accessToken!,
        version: API_VERSION,
      });
      const again = await bare.identity();
      assert.equal(again.user_id, identity.user_id);
    });

    it('refuses a wrong client secret (invalid_client) and an unknown client id (invalid_client_id)', async () => {
      const wrongSecret = await oauthError(
        oauthConnection({ clientSecret: 'nope' }).authorize({ grant_type: 'client_credentials' }),
      );
      assert.equal(wrongSecret.name, 'invalid_client');
      const wrongId = await oauthError(
        new Connection({
          oauth2: { loginUrl: em.url, clientId: 'someone-else', clientSecret: em.clientSecret },
          version: API_VERSION,
        }).authorize({
          grant_type: 'client_credentials',
        }),
      );
      assert.equal(wrongId.name, 'invalid_client_id');
    });

    it('refuses an unknown grant type', async () => {
      const error = await oauthError(oauthConnection().authorize({ grant_type: 'urn:example:made-up' }));
      assert.equal(error.name, 'unsupported_grant_type');
    });
  });

  describe('username-password', () => {
    it('logs in with the seeded user and queries', async () => {
      const conn = oauthConnection();
      const userInfo = await conn.login(USERNAME, em.userPassword);
      assert.equal(userInfo.organizationId, em.org.orgId);
      assert.equal(userInfo.id, em.org.users.find((u) => u.username === USERNAME)!.id);
      assert.equal(conn.instanceUrl, em.url);
      const result = await conn.query<{ Username: string }>(
        `SELECT Username FROM User WHERE Username = '${USERNAME}'`,
      );
      assert.deepEqual(
        result.records.map((r) => r.Username),
        [USERNAME],
      );
    });

    it('logs in another active user as that user', async () => {
      const conn = oauthConnection();
      const userInfo = await conn.login('SAM.RIVERA@crosswalk.example', em.userPassword);
      assert.equal(userInfo.id, em.org.users.find((u) => u.username === 'sam.rivera@crosswalk.example')!.id);
    });

    it('refuses a wrong password with invalid_grant', async () => {
      const error = await oauthError(oauthConnection().login(USERNAME, `${em.userPassword}x`));
      assert.equal(error.name, 'invalid_grant');
      assert.match(error.message, /authentication failure/);
    });

    it('refuses an inactive user and an unknown user with invalid_grant', async () => {
      assert.equal(
        (await oauthError(oauthConnection().login('former.rep@crosswalk.example', em.userPassword))).name,
        'invalid_grant',
      );
      assert.equal(
        (await oauthError(oauthConnection().login('nobody@crosswalk.example', em.userPassword))).name,
        'invalid_grant',
      );
    });

    it('refuses a wrong client secret with invalid_client', async () => {
      const error = await oauthError(
        oauthConnection({ clientSecret: 'wrong' }).login(USERNAME, em.userPassword),
      );
      assert.equal(error.name, 'invalid_client');
    });

    it('logs in again by itself after the session expires', async () => {
      const conn = oauthConnection();
      await conn.login(USERNAME, em.userPassword);
      const before = conn.accessToken;
      await adminPost('/sessions/expire');
      const result = await conn.query<{ Id: string }>('SELECT Id FROM Contact LIMIT 1');
      assert.equal(result.records.length, 1);
      assert.notEqual(conn.accessToken, before);
    });
  });

  describe('authorization code and refresh token', () => {
    it('exchanges the code for a refresh token; jsforce refreshes by itself after the session expires', async () => {
      const conn = oauthConnection({ redirectUri: REDIRECT_URI });
      const code = await authorizationCode(conn, 'state-123');
      const userInfo = await conn.authorize(code);
      assert.equal(userInfo.organizationId, em.org.orgId);
      assert.equal(userInfo.id, em.org.defaultUserId);
      assert.ok(conn.refreshToken, 'a refresh token was issued');
      const firstToken = conn.accessToken;
      assert.equal((await conn.query('SELECT Id FROM Lead LIMIT 1')).records.length, 1);

      const { expired } = await adminPost<{ expired: number }>('/sessions/expire');
      assert.ok(expired >= 1);
      let refreshed: string | undefined;
      conn.on('refresh', (token: string) => {
        refreshed = token;
      });
      const result = await conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 2');
      assert.equal(result.records.length, 2);
      assert.ok(refreshed, 'jsforce emitted a refresh');
      assert.equal(conn.accessToken, refreshed);
      assert.notEqual(conn.accessToken, firstToken);

      // What the emulator saw: the query refused with 401, a refresh_token grant, then the same query accepted.
      const log = (await requestLog(3)).map((r) => `${r.method} ${r.status} ${r.path.split('?')[0]}`);
      assert.deepEqual(log, [
        `GET 401 /services/data/v${API_VERSION}/query`,
        'POST 200 /services/oauth2/token',
        `GET 200 /services/data/v${API_VERSION}/query`,
      ]);
    });

    it('refreshes directly with oauth2.refreshToken, and the old access token keeps working', async () => {
      const conn = oauthConnection({ redirectUri: REDIRECT_URI });
      await conn.authorize(await authorizationCode(conn, 's'));
      const refreshToken = conn.refreshToken!;
      const response = await conn.oauth2.refreshToken(refreshToken);
      assert.equal(response.instance_url, em.url);
      assert.equal(response.token_type, 'Bearer');
      assert.equal(response.id, `${em.url}/id/${em.org.orgId}/${em.org.defaultUserId}`);
      assert.equal(response.refresh_token, undefined, 'a refresh does not rotate the refresh token');
      assert.notEqual(response.access_token, conn.accessToken);
      const fresh = new Connection({
        instanceUrl: response.instance_url,
        accessToken: response.access_token,
        version: API_VERSION,
      });
      assert.equal((await fresh.query('SELECT Id FROM Lead LIMIT 1')).records.length, 1);
      assert.equal((await conn.query('SELECT Id FROM Lead LIMIT 1')).records.length, 1);
    });

    it('refuses a code used twice and an unknown refresh token with invalid_grant', async () => {
      const conn = oauthConnection({ redirectUri: REDIRECT_URI });
      const code = await authorizationCode(conn, 'once');
      await conn.authorize(code);
      assert.equal(
        (await oauthError(oauthConnection({ redirectUri: REDIRECT_URI }).authorize(code))).name,
        'invalid_grant',
      );
      assert.equal((await oauthError(conn.oauth2.refreshToken('not-a-refresh-token'))).name, 'invalid_grant');
    });

    it('refuses a code redeemed with another redirect URI (redirect_uri_mismatch)', async () => {
      const conn = oauthConnection({ redirectUri: REDIRECT_URI });
      const code = await authorizationCode(conn, 'mismatch');
      const other = oauthConnection({ redirectUri: 'http://127.0.0.1:1/elsewhere' });
      assert.equal((await oauthError(other.authorize(code))).name, 'redirect_uri_mismatch');
      await conn.authorize(code);
      assert.ok(conn.refreshToken);
    });

    it('refuses to authorize an unknown client id', async () => {
      const stranger = new Connection({
        oauth2: { loginUrl: em.url, clientId: 'stranger', redirectUri: REDIRECT_URI },
        version: API_VERSION,
      });
      const response = await fetch(stranger.oauth2.getAuthorizationUrl({}), { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client_id');
    });
  });

  describe('bad tokens and revoke', () => {
    const query = (token?: string) =>
      fetch(
        `${em.url}/services/data/v${API_VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Lead LIMIT 1')}`,
        {
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        },
      );

    it('answers a missing or unknown token with 401 INVALID_SESSION_ID as a JSON array', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const response = await query(token);
        assert.equal(response.status, 401);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json(;|$)/);
        assert.deepEqual(await response.json(), [
          { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
        ]);
      }
      const { accessToken } = await adminPost<{ accessToken: string }>('/sessions');
      assert.equal((await query(accessToken)).status, 200);
      assert.equal((await query(`${accessToken}x`)).status, 401);
    });

    it('makes jsforce (with no way to refresh) throw INVALID_SESSION_ID', async () => {
      const conn = new Connection({ instanceUrl: em.url, accessToken: 'bogus', version: API_VERSION });
      const error = await sfError(Promise.resolve(conn.query('SELECT Id FROM Lead')));
      assert.equal(error.errorCode, 'INVALID_SESSION_ID');
      assert.equal(error.message, 'Session expired or invalid');
    });

    it('revokes an access token (raw revoke and conn.logout)', async () => {
      const { accessToken } = await adminPost<{ accessToken: string }>('/sessions');
      assert.equal((await query(accessToken)).status, 200);
      const revoke = await fetch(`${em.url}/services/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: accessToken }).toString(),
      });
      assert.equal(revoke.status, 200);
      assert.equal((await query(accessToken)).status, 401);
      // Revoking it again: the token is no longer known.
      const again = await fetch(`${em.url}/services/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: accessToken }).toString(),
      });
      assert.equal(again.status, 400);

      const conn = oauthConnection();
      await conn.login(USERNAME, em.userPassword);
      const token = conn.accessToken!;
      assert.equal((await query(token)).status, 200);
      await conn.logout();
      assert.equal((await query(token)).status, 401);
    });

    it('revoking a refresh token stops refreshes and kills its access tokens', async () => {
      const conn = oauthConnection({ redirectUri: REDIRECT_URI });
      await conn.authorize(await authorizationCode(conn, 'r'));
      const refreshToken = conn.refreshToken!;
      const accessToken = conn.accessToken!;
      const refreshed = await conn.oauth2.refreshToken(refreshToken);
      assert.equal((await query(refreshed.access_token)).status, 200);
      await conn.oauth2.revokeToken(refreshToken);
      assert.equal((await oauthError(conn.oauth2.refreshToken(refreshToken))).name, 'invalid_grant');
      assert.equal((await query(accessToken)).status, 401);
      assert.equal((await query(refreshed.access_token)).status, 401);
    });
  });

  describe('API versions', () => {
    it('lists the versions at GET /services/data, including 60.0, with no auth', async () => {
      const response = await fetch(`${em.url}/services/data`);
      assert.equal(response.status, 200);
      const versions = (await response.json()) as { version: string; url: string }[];
      const v60 = versions.find((v) => v.version === API_VERSION);
      assert.deepEqual(v60 && { version: v60.version, url: v60.url }, {
        version: '60.0',
        url: '/services/data/v60.0',
      });
      for (const v of versions) assert.match(v.version, /^\d+\.0$/);
      assert.ok(!versions.some((v) => v.version === '99.0'));
    });

    it('answers an unknown version with 404 NOT_FOUND (raw and through jsforce)', async () => {
      const { accessToken } = await adminPost<{ accessToken: string }>('/sessions');
      for (const version of ['10.0', '99.0']) {
        const response = await fetch(`${em.url}/services/data/v${version}/query?q=SELECT+Id+FROM+Lead`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        assert.equal(response.status, 404, `v${version}`);
        const body = (await response.json()) as { errorCode: string }[];
        assert.equal(body[0]?.errorCode, 'NOT_FOUND');
      }
      const conn = new Connection({ instanceUrl: em.url, accessToken, version: '99.0' });
      assert.equal(
        (await sfError(Promise.resolve(conn.query('SELECT Id FROM Lead')))).errorCode,
        'NOT_FOUND',
      );
    });

    it('serves the version resource of a known version', async () => {
      const { accessToken } = await adminPost<{ accessToken: string }>('/sessions');
      const conn = new Connection({ instanceUrl: em.url, accessToken, version: API_VERSION });
      const resources = await conn.request<Record<string, string>>(`/services/data/v${API_VERSION}`);
      assert.equal(resources.query, `/services/data/v${API_VERSION}/query`);
      assert.equal(resources.sobjects, `/services/data/v${API_VERSION}/sobjects`);
      assert.equal(resources.identity, `${em.url}/id/${em.org.orgId}/${em.org.defaultUserId}`);
    });
  });
});
