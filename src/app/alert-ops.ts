/**
 * U3: a pair's alerts, defined once for the CLI (`crosswalk alerts …`) and the HTTP API
 * (`/api/alerts…`): list them with each condition's state, add one (its secrets sealed with the key
 * in CROSSWALK_SECRET_KEY, or named by environment variable), remove one, send a test, and read the
 * notices sent and waiting. Each returns data or a problem with its fix; no secret is ever returned.
 */
import type { AlertNoticeView, AlertsOverview, AlertView } from '../api/alert-contract.ts';
import { checkAlert, describeTarget, openTarget } from '../config/alert-channels.ts';
import { secretKeyIn, SECRET_KEY_ENV } from '../config/pairs.ts';
import { alertConditionLabels, alertConditions, initialState } from '../core/alerts.ts';
import { conditionNotice, testNotice } from '../core/alert-notices.ts';
import { fail, ok, type Result } from '../core/model.ts';
import type { AlertNotice, AlertRecord, StateStore } from '../store/state-store.ts';
import { deliver } from './alert-delivery.ts';

/** Where secrets are read: the variables alerts name, and CROSSWALK_SECRET_KEY. */
export type SecretsEnv = Readonly<Record<string, string | undefined>>;

export function noticeView(n: AlertNotice): AlertNoticeView {
  return {
    id: n.id,
    alert: n.alert,
    kind: n.kind,
    condition: n.condition,
    title: n.notice.title,
    createdAt: n.createdAt,
    status: n.status,
    attempts: n.attempts,
    nextAttempt: n.nextAttempt,
    lastError: n.lastError,
    sentAt: n.sentAt,
  };
}

async function alertView(store: StateStore, alert: AlertRecord): Promise<AlertView> {
  const [last] = await store.alertNotices({ limit: 1, alert: alert.id });
  return {
    id: alert.id,
    name: alert.name,
    kind: alert.kind as AlertView['kind'],
    target: describeTarget(alert.target),
    conditions: alert.conditions,
    digest: alert.digest,
    createdAt: alert.createdAt,
    lastNotice: last
      ? { at: last.sentAt ?? last.createdAt, kind: last.kind, status: last.status, error: last.lastError }
      : null,
  };
}

const unknownAlert = <T>(store: StateStore, id: string): Result<T> =>
  fail(
    'unknown_alert',
    `The connection pair "${store.pair}" has no alert "${id}".`,
    'List the alerts: crosswalk alerts list (or GET /api/alerts).',
  );

/** The pair's alerts, and each condition as it stands. */
export async function listAlerts(store: StateStore, env: SecretsEnv): Promise<AlertsOverview> {
  const [alerts, states] = await Promise.all([store.alerts(), store.alertStates()]);
  const byCondition = new Map(states.map((s) => [s.condition, s]));
  const key = secretKeyIn(env);
  return {
    alerts: await Promise.all(alerts.map((a) => alertView(store, a))),
    conditions: alertConditions.map((condition) => {
      const s = byCondition.get(condition) ?? initialState(condition);
      return {
        condition,
        label: alertConditionLabels[condition],
        holds: s.holds,
        notified: s.notified,
        since: s.holds || s.notified ? s.since : null,
        detail: s.holds || s.notified ? s.detail : null,
      };
    }),
    canSeal: key.ok && key.value !== undefined,
  };
}

/** Adds an alert (`input` as declared: `config/alert-channels.ts`); its secrets sealed or named. */
export async function addAlert(
  store: StateStore,
  input: unknown,
  env: SecretsEnv,
  now: number,
): Promise<Result<AlertView>> {
  const key = secretKeyIn(env);
  if (!key.ok) return fail('invalid_alert', key.problems.join(' '), `Fix ${SECRET_KEY_ENV}.`);
  const checked = checkAlert(input, key.value);
  if (!checked.ok)
    return fail(
      'invalid_alert',
      `The alert is not valid: ${checked.problems.join('; ')}.`,
      'Fix the fields named, and add it again (see crosswalk alerts add --help).',
    );
  const record: AlertRecord = { ...checked.value, digestAt: now, createdAt: now, updatedAt: now };
  if (!(await store.addAlert(record)))
    return fail(
      'alert_exists',
      `The connection pair "${store.pair}" has an alert "${record.id}" already.`,
      'Pick another id, or remove that alert first.',
    );
  // What holds and the other alerts were told of, this one hears of too (the next check sends it).
  for (const state of await store.alertStates())
    if (state.holds && state.notified && record.conditions.includes(state.condition))
      await store.advanceAlertState({ ...state, version: state.version + 1 }, [
        { alert: record.id, notice: conditionNotice(store.pair, state, 'start', now) },
      ]);
  return ok(await alertView(store, record));
}

export async function removeAlert(store: StateStore, id: string): Promise<Result<AlertView>> {
  const alert = (await store.alerts()).find((a) => a.id === id);
  if (!alert) return unknownAlert(store, id);
  const view = await alertView(store, alert);
  await store.removeAlert(id);
  return ok(view);
}

/** Sends a test notice to the alert now, and records how it went (never tried again). */
export async function testAlert(
  store: StateStore,
  id: string,
  env: SecretsEnv,
  now: () => number,
): Promise<Result<AlertNoticeView>> {
  const alert = (await store.alerts()).find((a) => a.id === id);
  if (!alert) return unknownAlert(store, id);
  const notice = testNotice(store.pair, alert.name, now());
  const key = secretKeyIn(env);
  const target = key.ok ? openTarget(alert.target, env, key.value) : key;
  const sent = target.ok
    ? await deliver(target.value, notice)
    : { ok: false as const, error: target.problems.join('; ') };
  const recorded = await store.recordNotice(
    alert.id,
    notice,
    sent.ok ? { sentAt: now() } : { error: sent.error, at: now(), nextAttempt: null },
  );
  if (sent.ok) return ok(noticeView(recorded));
  return fail(
    'alert_undelivered',
    `The test notice to the alert "${alert.id}" was not delivered: ${sent.error}.`,
    target.ok
      ? 'Check the receiver (its URL, or the SMTP server and its credentials), then send a test again.'
      : 'Set what the alert reads where Crosswalk runs, or add the alert again.',
  );
}

/** The latest notices of the pair (of one alert when given), newest first. */
export async function listNotices(
  store: StateStore,
  query: { readonly limit: number; readonly alert?: string | undefined },
): Promise<Result<AlertNoticeView[]>> {
  if (query.alert !== undefined && !(await store.alerts()).some((a) => a.id === query.alert))
    return unknownAlert(store, query.alert);
  const notices = await store.alertNotices({
    limit: query.limit,
    ...(query.alert !== undefined ? { alert: query.alert } : {}),
  });
  return ok(notices.map(noticeView));
}
