/**
 * Alerts (U3): each condition of the pair as it stands (holding since when, whether the alerts were
 * told), the alerts with where they send (masked: never a secret), their last notice and how its
 * delivery went, "Send a test" and Remove per alert, the form to add one, and the latest notices —
 * sent, waiting (with why the last delivery failed) or given up. The thresholds are settings.
 */
import { useState } from 'preact/hooks';
import { routes } from '../../api/contract.ts';
import type { AlertView } from '../../api/alert-contract.ts';
import { alertConditions } from '../../core/alerts.ts';
import { Badge, ErrorNote, LoadError, ScreenTitle, TableWrap, Time } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, useResource } from '../ui/hooks.ts';
import { words } from '../format.ts';
import type { Failure } from '../api.ts';
import { AlertForm } from './alert-form.tsx';

const kindNames: Readonly<Record<AlertView['kind'], string>> = {
  webhook: 'JSON webhook',
  slack: 'Slack',
  email: 'E-mail',
};

const statusTone = { sent: 'ok', pending: 'warn', failed: 'bad' } as const;

export function AlertsScreen() {
  const { api } = useConsole();
  const overview = useResource(() => api.call(routes.listAlerts), [api], 15_000);
  const notices = useResource(() => api.call(routes.alertNotices, { query: { limit: 20 } }), [api], 15_000);
  const reload = () => {
    overview.reload();
    notices.reload();
  };
  const data = overview.data;
  return (
    <>
      <ScreenTitle>Alerts</ScreenTitle>
      <p class="lead">
        One notice when a condition starts and one when it clears, to a webhook, Slack or e-mail; at most one
        per condition every <a href={hashOf(['settings'])}>alertQuietMinutes</a>. Thresholds are settings (
        <code>alertErrorsPerHour</code>, <code>alertRejectedPercent</code>, <code>alertLatencySeconds</code>,{' '}
        <code>alertBacklog</code>).
      </p>
      <LoadError error={overview.error} status={overview.status} what="the alerts" />
      <section aria-labelledby="conditions-h">
        <h2 id="conditions-h">Conditions</h2>
        <TableWrap label="Conditions">
          <table>
            <thead>
              <tr>
                <th scope="col">Condition</th>
                <th scope="col">Now</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {(data?.conditions ?? []).map((c) => (
                <tr key={c.condition}>
                  <th scope="row">{c.label}</th>
                  <td>
                    {c.holds ? (
                      <Badge tone="bad">Holding</Badge>
                    ) : c.notified ? (
                      <Badge tone="warn">Clearing</Badge>
                    ) : (
                      <Badge tone="ok">Clear</Badge>
                    )}
                    {c.since !== null && (c.holds || c.notified) ? (
                      <span class="sub">
                        since <Time at={c.since} compact />
                      </span>
                    ) : null}
                  </td>
                  <td class="message">
                    {c.holds || c.notified ? (c.detail ?? '') : <span class="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>
      <section aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        {data && data.alerts.length === 0 ? <p class="muted">No alert yet: add one below.</p> : null}
        {data && data.alerts.length > 0 ? (
          <TableWrap label="Alerts">
            <table>
              <thead>
                <tr>
                  <th scope="col">Alert</th>
                  <th scope="col">Sends to</th>
                  <th scope="col">Told about</th>
                  <th scope="col">Last notice</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.alerts.map((a) => (
                  <AlertRow key={a.id} alert={a} onChanged={reload} />
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      {data ? <AlertForm canSeal={data.canSeal} onAdded={reload} /> : null}
      <section aria-labelledby="notices-h">
        <h2 id="notices-h">Latest notices</h2>
        <LoadError error={notices.error} status={notices.status} what="the notices" />
        <TableWrap label="Latest notices">
          <table>
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Alert</th>
                <th scope="col">Notice</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {(notices.data?.notices ?? []).length === 0 ? (
                <tr>
                  <td colSpan={4} class="empty">
                    No notice yet.
                  </td>
                </tr>
              ) : (
                notices.data!.notices.map((n) => (
                  <tr key={n.id}>
                    <td>
                      <Time at={n.createdAt} compact />
                    </td>
                    <td>
                      <code>{n.alert}</code>
                    </td>
                    <td class="message">{n.title}</td>
                    <td>
                      <Badge tone={statusTone[n.status]}>
                        {n.status === 'sent'
                          ? 'Sent'
                          : n.status === 'pending'
                            ? 'Waiting'
                            : n.kind === 'test'
                              ? 'Failed'
                              : 'Given up'}
                      </Badge>
                      {n.lastError ? <span class="sub">{n.lastError}</span> : null}
                      {n.status === 'pending' && n.nextAttempt !== null ? (
                        <span class="sub">
                          next try <Time at={n.nextAttempt} compact />
                        </span>
                      ) : null}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </>
  );
}

function AlertRow(props: { alert: AlertView; onChanged: () => void }) {
  const { api, announce } = useConsole();
  const { alert } = props;
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const act = async (what: 'test' | 'remove') => {
    setBusy(true);
    const result =
      what === 'test'
        ? await api.call(routes.testAlert, { params: { id: alert.id } })
        : await api.call(routes.removeAlert, { params: { id: alert.id } });
    setBusy(false);
    props.onChanged();
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    announce(what === 'test' ? `Test notice delivered to ${alert.id}.` : `Removed the alert ${alert.id}.`);
  };
  const all = alert.conditions.length === alertConditions.length;
  return (
    <tr>
      <th scope="row">
        <code>{alert.id}</code>
        <span class="sub">
          {kindNames[alert.kind]}
          {alert.name === alert.id ? '' : ` · ${alert.name}`}
        </span>
      </th>
      <td class="message">{alert.target}</td>
      <td class="detail">
        {all ? 'Every condition' : alert.conditions.map(words).join(', ')}
        {alert.digest ? '; daily digest' : ''}
      </td>
      <td>
        {alert.lastNotice ? (
          <>
            <Badge tone={statusTone[alert.lastNotice.status]}>
              {words(alert.lastNotice.kind)} {alert.lastNotice.status}
            </Badge>
            <span class="sub">
              <Time at={alert.lastNotice.at} compact />
            </span>
            {alert.lastNotice.error ? <span class="sub">{alert.lastNotice.error}</span> : null}
          </>
        ) : (
          <span class="muted">None yet</span>
        )}
      </td>
      <td>
        <div class="toolbar">
          <button type="button" disabled={busy} onClick={() => void act('test')}>
            Send a test
          </button>
          <button type="button" disabled={busy} onClick={() => void act('remove')}>
            Remove
          </button>
        </div>
        <ErrorNote error={failure} title={`${alert.id}: not done`} />
      </td>
    </tr>
  );
}
