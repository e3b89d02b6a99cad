/**
 * The statements of the alert tables (U3, migration 12) for both dialects, and their rows mapped to
 * the port's types (`AlertRecord`, `ConditionState`, `AlertNotice`). As `queries.ts`, each statement
 * binds the store's pair at its `pair()` placeholders.
 *
 * Two writers never decide twice: a condition's state is written only over the version it was read
 * at (`advanceState`), a digest only over the time it was read at (`moveDigest`), and a notice is
 * claimed before it is sent (`claimNotices`: the claim holds while `claimed_until` is ahead). A
 * notice's id is never reused (an AUTOINCREMENT key, an identity), and a notice is settled by its id
 * and its alert: a delivery that ends after its alert was removed settles nothing.
 */
import type { AlertCondition, ConditionState } from '../core/alerts.ts';
import type { Notice, NoticeKind } from '../core/alert-notices.ts';
import { both } from './dialect.ts';
import { fixedIn, pairTuple } from './queries.ts';
import { toNumber, type DbInt } from './rows.ts';
import type { AlertNotice, AlertRecord, DeliveryOutcome, NoticeStatus } from './state-store.ts';

export interface DbAlert<I extends DbInt = number> {
  id: string;
  name: string;
  kind: string;
  target: string;
  conditions: string;
  digest: boolean | number;
  digest_at: I;
  created_at: I;
  updated_at: I;
}

export interface DbAlertState<I extends DbInt = number> {
  condition_id: string;
  holds: boolean | number;
  notified: boolean | number;
  since: I | null;
  notice_at: I | null;
  detail: string | null;
  version: I;
}

export interface DbAlertNotice<I extends DbInt = number> {
  id: I;
  alert: string;
  kind: string;
  condition_id: string | null;
  notice: string;
  created_at: I;
  status: string;
  attempts: I;
  next_attempt: I | null;
  claimed_until: I;
  last_error: string | null;
  sent_at: I | null;
}

const orNull = (value: DbInt | null): number | null => (value === null ? null : toNumber(value));

export const toAlert = (row: DbAlert<DbInt>): AlertRecord => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  target: JSON.parse(row.target) as Record<string, unknown>,
  conditions: JSON.parse(row.conditions) as AlertCondition[],
  digest: Boolean(row.digest),
  digestAt: toNumber(row.digest_at),
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

export const toAlertState = (row: DbAlertState<DbInt>): ConditionState => ({
  condition: row.condition_id as AlertCondition,
  holds: Boolean(row.holds),
  notified: Boolean(row.notified),
  since: orNull(row.since),
  noticeAt: orNull(row.notice_at),
  detail: row.detail,
  version: toNumber(row.version),
});

export const toAlertNotice = (row: DbAlertNotice<DbInt>): AlertNotice => ({
  id: toNumber(row.id),
  alert: row.alert,
  kind: row.kind as NoticeKind,
  condition: row.condition_id as AlertCondition | null,
  notice: JSON.parse(row.notice) as Notice,
  createdAt: toNumber(row.created_at),
  status: row.status as NoticeStatus,
  attempts: toNumber(row.attempts),
  nextAttempt: orNull(row.next_attempt),
  lastError: row.last_error,
  sentAt: orNull(row.sent_at),
});

const ALERT_COLUMNS = 'id, name, kind, target, conditions, digest, digest_at, created_at, updated_at';
const STATE_COLUMNS = 'condition_id, holds, notified, since, notice_at, detail, version';
const NOTICE_COLUMNS =
  'id, alert, kind, condition_id, notice, created_at, status, attempts, next_attempt, claimed_until, last_error, sent_at';

/** A delivery's outcome as the columns it sets: status, attempts added, next attempt, error, sent at. */
function outcomeColumns(outcome: DeliveryOutcome): [string, number | null, string | null, number | null] {
  if ('sentAt' in outcome) return ['sent', null, null, outcome.sentAt];
  return [outcome.nextAttempt === null ? 'failed' : 'pending', outcome.nextAttempt, outcome.error, null];
}

export const alertQueries = both((d) => {
  const fixed = fixedIn(d);
  return {
    alerts: fixed<[], DbAlert<DbInt>>(
      (_, pair) => `SELECT ${ALERT_COLUMNS} FROM alerts WHERE pair = ${pair()} ORDER BY id`,
    ),
    addAlert: fixed<[alert: AlertRecord], { id: string }>(
      (p, pair) =>
        `INSERT INTO alerts (pair, ${ALERT_COLUMNS}) VALUES ${pairTuple(pair, p, 9)}
         ON CONFLICT (pair, id) DO NOTHING RETURNING id`,
      (a) => [
        a.id,
        a.name,
        a.kind,
        JSON.stringify(a.target),
        JSON.stringify(a.conditions),
        d.boolean(a.digest),
        a.digestAt,
        a.createdAt,
        a.updatedAt,
      ],
    ),
    removeAlert: fixed<[id: string], { id: string }>(
      (p, pair) => `DELETE FROM alerts WHERE pair = ${pair()} AND id = ${p()} RETURNING id`,
    ),
    removeNoticesOf: fixed<[alert: string]>(
      (p, pair) => `DELETE FROM alert_notices WHERE pair = ${pair()} AND alert = ${p()}`,
    ),
    states: fixed<[], DbAlertState<DbInt>>(
      (_, pair) => `SELECT ${STATE_COLUMNS} FROM alert_states WHERE pair = ${pair()} ORDER BY condition_id`,
    ),
    /** The state written over the version before it (a row not there yet: written); its version back. */
    advanceState: fixed<[next: ConditionState], { version: DbInt }>(
      (p, pair) =>
        `INSERT INTO alert_states (pair, ${STATE_COLUMNS}) VALUES ${pairTuple(pair, p, 7)}
         ON CONFLICT (pair, condition_id) DO UPDATE SET holds = excluded.holds,
           notified = excluded.notified, since = excluded.since, notice_at = excluded.notice_at,
           detail = excluded.detail, version = excluded.version
         WHERE alert_states.version = excluded.version - 1
         RETURNING version`,
      (s) => [
        s.condition,
        d.boolean(s.holds),
        d.boolean(s.notified),
        s.since,
        s.noticeAt,
        s.detail,
        s.version,
      ],
    ),
    moveDigest: fixed<[alert: string, expected: number, at: number], { id: string }>(
      (p, pair) =>
        `UPDATE alerts SET digest_at = ${p()} WHERE pair = ${pair()} AND id = ${p()} AND digest_at = ${p()}
         RETURNING id`,
      (alert, expected, at) => [at, alert, expected],
    ),
    /** A notice queued (`pending`, due now), or recorded with how its one delivery went. */
    addNotice: fixed<[alert: string, notice: Notice, outcome: DeliveryOutcome | null], DbAlertNotice<DbInt>>(
      (p, pair) =>
        `INSERT INTO alert_notices (pair, alert, kind, condition_id, notice, created_at, status,
           attempts, next_attempt, claimed_until, last_error, sent_at)
         VALUES (${pair()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, 0, ${p()},
           ${p()})
         RETURNING ${NOTICE_COLUMNS}`,
      (alert, notice, outcome) => {
        const [status, , error, sentAt] =
          outcome === null ? ['pending', null, null, null] : outcomeColumns(outcome);
        return [
          alert,
          notice.kind,
          notice.condition,
          JSON.stringify(notice),
          notice.at,
          outcome === null ? 'pending' : status === 'pending' ? 'failed' : status,
          outcome === null ? 0 : 1,
          outcome === null ? notice.at : null,
          error,
          sentAt,
        ];
      },
    ),
    claimNotices: fixed<[now: number, until: number], DbAlertNotice<DbInt>>(
      (p, pair) =>
        `UPDATE alert_notices SET claimed_until = ${p()}
         WHERE pair = ${pair()} AND status = 'pending' AND next_attempt <= ${p()} AND claimed_until <= ${p()}
           AND id IN (SELECT min(id) FROM alert_notices WHERE pair = ${pair()} AND status = 'pending'
             GROUP BY alert)
         RETURNING ${NOTICE_COLUMNS}`,
      (now, until) => [until, now, now],
    ),
    settleNotice: fixed<[id: number, alert: string, outcome: DeliveryOutcome]>(
      (p, pair) =>
        `UPDATE alert_notices SET status = ${p()}, attempts = attempts + 1, next_attempt = ${p()},
           last_error = coalesce(${p()}, last_error), sent_at = ${p()}, claimed_until = 0
         WHERE pair = ${pair()} AND id = ${p()} AND alert = ${p()} AND status = 'pending'`,
      (id, alert, outcome) => [...outcomeColumns(outcome), id, alert],
    ),
    notices: fixed<[limit: number], DbAlertNotice<DbInt>>(
      (p, pair) =>
        `SELECT ${NOTICE_COLUMNS} FROM alert_notices WHERE pair = ${pair()} ORDER BY id DESC LIMIT ${p()}`,
    ),
    noticesOf: fixed<[alert: string, limit: number], DbAlertNotice<DbInt>>(
      (p, pair) =>
        `SELECT ${NOTICE_COLUMNS} FROM alert_notices WHERE pair = ${pair()} AND alert = ${p()}
         ORDER BY id DESC LIMIT ${p()}`,
    ),
    countNewErrors: fixed<[since: number], { n: DbInt }>(
      (p, pair) => `SELECT count(*) AS n FROM errors WHERE pair = ${pair()} AND first_seen >= ${p()}`,
    ),
  };
});
