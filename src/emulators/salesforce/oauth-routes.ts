/**
 * Salesforce emulator routes: OAuth 2.0 and identity — `POST /services/oauth2/token` (the
 * `client_credentials`, `password`, `authorization_code` and `refresh_token` grants),
 * `GET /services/oauth2/authorize` (the emulated user approves at once), `POST /services/oauth2/revoke`
 * and `GET /id/{orgId}/{userId}`. OAuth errors have their own shape (`{error, error_description}`), and
 * none of these calls counts against the API allocation.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import {
  JSON_TYPE,
  bearerToken,
  notFoundErrors,
  sendErrors,
  sendJson,
  type SalesforceContext,
  type Session,
} from './context.ts';

/** Password of every seeded user (for the OAuth username-password flow). */
export const USER_PASSWORD = 'crosswalk-password';

export interface ConnectedApp {
  readonly clientId: string;
  readonly clientSecret: string;
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', JSON_TYPE)
    .send(JSON.stringify({ error, error_description: description }));
}

export function registerOAuthRoutes(ctx: SalesforceContext, connectedApp: ConnectedApp): void {
  const { app, org, now, sessions } = ctx;
  const { clientId, clientSecret } = connectedApp;
  const refreshTokens = new Map<string, Session>();
  /** Refresh token → the access tokens issued with it (revoking the refresh token revokes them too). */
  const accessTokensOf = new Map<string, Set<string>>();
  const authCodes = new Map<string, { userId: string; redirectUri: string }>();

  const tokenResponse = (userId: string, extra: Record<string, string> = {}) => {
    const accessToken = sessions.issue(userId);
    const issuedAt = String(now());
    const baseUrl = ctx.baseUrl();
    return {
      access_token: accessToken,
      instance_url: baseUrl,
      id: `${baseUrl}/id/${org.orgId}/${userId}`,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: randomBytes(32).toString('base64'),
      ...extra,
    };
  };

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    const grant = form.get('grant_type');
    if (!grant) return oauthError(reply, 400, 'unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== clientId)
      return oauthError(reply, 400, 'invalid_client_id', 'client identifier invalid');
    const secret = form.get('client_secret');
    if (grant !== 'refresh_token' && secret !== clientSecret)
      return oauthError(reply, 400, 'invalid_client', 'invalid client credentials');
    if (grant === 'refresh_token' && secret !== null && secret !== clientSecret)
      return oauthError(reply, 400, 'invalid_client', 'invalid client credentials');
    let body: Record<string, string>;
    if (grant === 'client_credentials') {
      body = { ...tokenResponse(org.defaultUserId), token_format: 'opaque' };
    } else if (grant === 'password') {
      const user = org.users.find(
        (u) => u.username.toLowerCase() === (form.get('username') ?? '').toLowerCase(),
      );
      if (!user || form.get('password') !== USER_PASSWORD || org.get(user.id)?.IsActive !== true) {
        return oauthError(reply, 400, 'invalid_grant', 'authentication failure');
      }
      body = tokenResponse(user.id);
    } else if (grant === 'authorization_code') {
      const code = authCodes.get(form.get('code') ?? '');
      if (!code) return oauthError(reply, 400, 'invalid_grant', 'invalid authorization code');
      if (form.get('redirect_uri') !== code.redirectUri)
        return oauthError(reply, 400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
      authCodes.delete(form.get('code')!);
      const refreshToken = randomBytes(32).toString('base64url');
      refreshTokens.set(refreshToken, { userId: code.userId });
      body = tokenResponse(code.userId, { refresh_token: refreshToken, scope: 'api refresh_token' });
      accessTokensOf.set(refreshToken, new Set([body.access_token!]));
    } else if (grant === 'refresh_token') {
      const session = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!session) return oauthError(reply, 400, 'invalid_grant', 'expired access/refresh token');
      body = tokenResponse(session.userId, { scope: 'api refresh_token' });
      accessTokensOf.get(form.get('refresh_token')!)?.add(body.access_token!);
    } else {
      return oauthError(reply, 400, 'unsupported_grant_type', 'grant type not supported');
    }
    return reply.header('content-type', JSON_TYPE).send(JSON.stringify(body));
  });

  app.get('/services/oauth2/authorize', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.client_id !== clientId)
      return oauthError(reply, 400, 'invalid_client_id', 'client identifier invalid');
    if (q.response_type !== 'code' || !q.redirect_uri)
      return oauthError(reply, 400, 'unsupported_response_type', 'response type not supported');
    // The emulated user approves at once: the code belongs to the integration user.
    const code = randomBytes(16).toString('base64url');
    authCodes.set(code, { userId: org.defaultUserId, redirectUri: q.redirect_uri });
    const target = new URL(q.redirect_uri);
    target.searchParams.set('code', code);
    if (q.state) target.searchParams.set('state', q.state);
    return reply.redirect(target.toString(), 302);
  });

  app.post('/services/oauth2/revoke', async (request, reply) => {
    const token =
      new URLSearchParams(typeof request.body === 'string' ? request.body : '').get('token') ?? '';
    if (refreshTokens.delete(token)) {
      // Revoking a refresh token revokes the access tokens issued with it, as Salesforce does.
      for (const accessToken of accessTokensOf.get(token) ?? []) sessions.revoke(accessToken);
      accessTokensOf.delete(token);
    } else if (!sessions.revoke(token)) {
      return oauthError(reply, 400, 'unsupported_token_type', 'this token type is not supported');
    }
    return reply.code(200).send();
  });

  app.get('/id/:orgId/:userId', async (request, reply) => {
    const token = bearerToken(request);
    if (!sessions.get(token)) return oauthError(reply, 403, 'Bad_OAuth_Token', 'Bad OAuth Token');
    const { userId } = request.params as { userId: string };
    const user = org.get(userId);
    if (!user) return sendErrors(reply, 404, notFoundErrors);
    const baseUrl = ctx.baseUrl();
    return sendJson(reply, 200, {
      id: `${baseUrl}/id/${org.orgId}/${userId}`,
      organization_id: org.orgId,
      user_id: userId,
      username: user.Username,
      email: user.Email,
      display_name: user.Name,
      active: user.IsActive,
      urls: {
        rest: `${baseUrl}/services/data/v{version}/`,
        sobjects: `${baseUrl}/services/data/v{version}/sobjects/`,
        query: `${baseUrl}/services/data/v{version}/query/`,
      },
    });
  });
}
