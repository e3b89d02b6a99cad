/**
 * Overview: each side's connection, the engine's state with Pause and Resume, the counts, records
 * moved and errors per direction over time, latency, and the API budget per side. Polls every 5 s.
 */
import { useState } from 'preact/hooks';
import { routes, type EngineState, type Overview, type Series, type Usage } from '../../api/contract.ts';
import { count, duration, fromNow, share, systemName } from '../format.ts';
import { Badge, ErrorNote, Fact, LoadError, Meter, Num, ScreenTitle, Time, type Tone } from '../ui/bits.tsx';
import { TimeChart } from '../ui/chart.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';

const POLL_MS = 5_000;
type Window = Series['window'];

const stateTone: Record<EngineState['state'], Tone> = {
  running: 'ok',
  paused: 'warn',
  limited: 'warn',
  failing_auth: 'bad',
  degraded: 'warn',
  not_started: 'warn',
};
const stateWords: Record<EngineState['state'], string> = {
  running: 'Running',
  paused: 'Paused',
  limited: 'Limited (Salesforce calls paused)',
  failing_auth: 'Failing authentication',
  degraded: 'Degraded',
  not_started: 'Not started',
};

export function OverviewScreen() {
  const { api } = useConsole();
  const overview = useResource(() => api.call(routes.overview), [api], POLL_MS);
  const usage = useResource(() => api.call(routes.usage), [api], POLL_MS);
  const data = overview.data;
  return (
    <>
      <ScreenTitle>Overview</ScreenTitle>
      <LoadError error={overview.error} status={overview.status} what="the overview" />
      {data === undefined ? (
        overview.error === undefined && <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="overview-top">
            <Engine engine={data.engine} onChange={overview.reload} />
            {data.connections.map((c) => (
              <Connection key={c.system} connection={c} />
            ))}
          </div>
          <Counts counts={data.counts} latency={data.latency} lastRun={data.lastRun} />
        </>
      )}
      <Activity />
      {data === undefined ? null : <Budget budget={data.budget} usage={usage.data} />}
    </>
  );
}

function Engine(props: { engine: EngineState; onChange: () => void }) {
  const { api, announce } = useConsole();
  const { engine } = props;
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const act = async (what: 'pause' | 'resume') => {
    setBusy(true);
    const result =
      what === 'pause'
        ? await api.call(routes.pause, { body: reason.trim() === '' ? {} : { reason: reason.trim() } })
        : await api.call(routes.resume);
    setBusy(false);
    if (!result.ok) return setError(result.error);
    setError(undefined);
    setReason('');
    announce(what === 'pause' ? 'Sync paused: no cycle starts until Resume.' : 'Sync resumed.');
    props.onChange();
  };
  return (
    <section aria-labelledby="engine-h" class="card engine">
      <div class="engine-head">
        <h2 id="engine-h">Sync engine</h2>
        <Badge tone={stateTone[engine.state]}>{stateWords[engine.state]}</Badge>
      </div>
      <p class="engine-why">{engine.why}</p>
      <dl class="facts">
        {engine.since === null ? null : (
          <Fact label="Since">
            <Time at={engine.since} />
          </Fact>
        )}
        {engine.until === null ? null : (
          <Fact label="Until">
            <Time at={engine.until} />
          </Fact>
        )}
        {engine.pausedBy === null ? null : (
          <Fact label="Paused by a person">
            <Time at={engine.pausedBy.at} />
            {engine.pausedBy.reason === null ? '' : ` — “${engine.pausedBy.reason}”`}
          </Fact>
        )}
      </dl>
      {engine.state === 'paused' ? (
        <button type="button" class="primary" disabled={busy} onClick={() => void act('resume')}>
          Resume
        </button>
      ) : (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void act('pause');
          }}
        >
          <label for="pause-reason">Reason (optional)</label>
          <input
            id="pause-reason"
            type="text"
            maxLength={500}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
            placeholder="e.g. Salesforce maintenance window"
          />
          <button type="submit" disabled={busy}>
            Pause
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function Connection(props: { connection: Overview['connections'][number] }) {
  const c = props.connection;
  return (
    <article class="card" aria-labelledby={`conn-${c.system}`}>
      <div class="card-head">
        <h2 id={`conn-${c.system}`}>{systemName(c.system)}</h2>
        <Badge tone={c.healthy ? 'ok' : 'bad'}>{c.healthy ? 'Healthy' : 'Not healthy'}</Badge>
      </div>
      <p>{c.status}</p>
      {c.action === null ? null : (
        <p class="note note-warn">
          <strong>To do:</strong> {c.action}
        </p>
      )}
      <dl class="facts">
        <Fact label="Where">
          <code class="wrap">{c.where}</code>
        </Fact>
        <Fact label="Auth">{c.auth}</Fact>
        {c.who !== null ? <Fact label="Acting as">{c.who}</Fact> : null}
        <Fact label="Last reached">
          <Time at={c.lastOkAt} none="not yet" />
        </Fact>
        {c.changeEvents === null ? null : (
          <Fact label="Changes by">
            {c.changeEvents.mode === 'listening'
              ? `change events (${Object.keys(c.changeEvents.objects).join(', ')}), polled every 30 min as a safety net`
              : `polling every cycle: ${c.changeEvents.reason ?? 'change events are off'}`}
          </Fact>
        )}
      </dl>
    </article>
  );
}

function Counts(props: Pick<Overview, 'counts' | 'latency' | 'lastRun'>) {
  const { counts, latency, lastRun } = props;
  const outOfScope = counts.outOfScope.reduce((sum, r) => sum + r.count, 0);
  return (
    <section aria-labelledby="counts-h">
      <h2 id="counts-h">Contacts</h2>
      <div class="stats">
        <div class="stat">
          <span class="stat-value">
            <Num value={counts.inSync} />
          </span>
          <span class="stat-label">in sync</span>
        </div>
        <div class="stat">
          <span class="stat-value">
            <Num value={outOfScope} />
          </span>
          <span class="stat-label">out of scope</span>
        </div>
        <div class={`stat${counts.failing > 0 ? ' stat-bad' : ''}`}>
          <span class="stat-value">
            <a href={hashOf(['errors'])}>
              <Num value={counts.failing} />
            </a>
          </span>
          <span class="stat-label">failing</span>
        </div>
        <div class="stat">
          <span class="stat-value">
            <Num value={counts.waiting} />
          </span>
          <span class="stat-label">waiting (webhook inbox)</span>
        </div>
        <div class="stat">
          <span class="stat-value">
            <Num value={counts.links} />
          </span>
          <span class="stat-label">links</span>
        </div>
        <div class="stat">
          <span class="stat-value">{latency.p50 === null ? '—' : `≤ ${duration(latency.p50)}`}</span>
          <span class="stat-label">
            change latency p50; p95 {latency.p95 === null ? '—' : `≤ ${duration(latency.p95)}`} (
            {count(latency.samples)} changes, last {duration(latency.windowMs)})
          </span>
        </div>
      </div>
      {counts.outOfScope.length === 0 ? null : (
        <div class="scope-reasons">
          <h3>Out of scope, by reason</h3>
          <ul>
            {counts.outOfScope.map((r) => (
              <li key={r.reason}>
                {r.label}: <strong>{count(r.count)}</strong> <code class="muted">{r.reason}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {lastRun === null ? null : (
        <p class="muted">
          Last run <a href={hashOf(['runs', lastRun.runId])}>{lastRun.runId}</a> ({lastRun.kind}) finished{' '}
          {fromNow(lastRun.finishedAt)}: {count(lastRun.synced)} synced, {count(lastRun.failed)} failed.
        </p>
      )}
    </section>
  );
}

function WindowSwitch(props: {
  windows: readonly Window[];
  value: Window;
  onChange: (w: Window) => void;
  label: string;
}) {
  return (
    <div class="switch" role="group" aria-label={props.label}>
      {props.windows.map((w) => (
        <button key={w} type="button" aria-pressed={props.value === w} onClick={() => props.onChange(w)}>
          {w}
        </button>
      ))}
    </div>
  );
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function Activity() {
  const { api } = useConsole();
  const [span, setSpan] = useState<Window>('24h');
  const series = useResource(
    () => api.call(routes.series, { query: { window: span } }),
    [api, span],
    POLL_MS,
  );
  const points = series.data?.points ?? [];
  const toHs = points.map((p) => p.toHubspot);
  const toSf = points.map((p) => p.toSalesforce);
  const failed = points.map((p) => p.failedToHubspot + p.failedToSalesforce);
  return (
    <section aria-labelledby="activity-h">
      <div class="section-head">
        <h2 id="activity-h">Records moved and errors</h2>
        <WindowSwitch windows={['1h', '24h', '7d']} value={span} onChange={setSpan} label="Activity window" />
      </div>
      <LoadError error={series.error} status={series.status} what="the activity series" />
      {series.data === undefined ? null : (
        <TimeChart
          title={`Records moved and errors per direction, last ${span}`}
          summary={`In the last ${span}: ${count(sum(toHs))} records to HubSpot, ${count(sum(toSf))} to Salesforce, ${count(
            sum(points.map((p) => p.failedToHubspot)),
          )} errors towards HubSpot and ${count(sum(points.map((p) => p.failedToSalesforce)))} towards Salesforce.`}
          times={points.map((p) => p.at)}
          stepMs={series.data.stepMs}
          series={[
            { label: 'To HubSpot', values: toHs, mark: 'line', tone: 'accent' },
            { label: 'To Salesforce', values: toSf, mark: 'dashed', tone: 'second' },
            { label: 'Errors', values: failed, mark: 'bars', tone: 'bad' },
          ]}
        />
      )}
    </section>
  );
}

function Budget(props: { budget: Overview['budget']; usage: Usage | undefined }) {
  const { api } = useConsole();
  const [span, setSpan] = useState<Window>('24h');
  const series = useResource(
    () => api.call(routes.series, { query: { window: span } }),
    [api, span],
    POLL_MS,
  );
  const { salesforce: sf, hubspot: hs } = props.budget;
  const points = series.data?.points ?? [];
  const polling = props.usage?.polling;
  return (
    <section aria-labelledby="budget-h">
      <h2 id="budget-h">API budget</h2>
      {sf.retriesPaused ? (
        <p class="note note-warn" role="status">
          <strong>Automatic retries are paused:</strong> 75% of the Salesforce allocation is spent (E3).
          Errors wait until the rolling 24 h use drops, or resync them by hand.
        </p>
      ) : null}
      <div class="cards">
        <article class="card" aria-labelledby="budget-sf">
          <h3 id="budget-sf">Salesforce</h3>
          <Meter
            used={sf.used24h}
            max={sf.allocation ?? sf.org?.max ?? null}
            label="Calls in the last 24 h"
          />
          <dl class="facts">
            <Fact label="Used (24 h)">
              <Num value={sf.used24h} />
            </Fact>
            <Fact label="Allocation">
              {sf.allocation === null ? 'none set (the org limit applies)' : count(sf.allocation)}
            </Fact>
            <Fact label="Org limit">
              {sf.org === null ? (
                'not read yet'
              ) : (
                <>
                  {count(sf.org.used)} of {count(sf.org.max)} used (
                  {share(sf.org.used / Math.max(1, sf.org.max))}), read <Time at={sf.org.at} />
                </>
              )}
            </Fact>
            <Fact label="Runs out">
              {sf.runsOutAt === null ? 'not at the current rate' : <Time at={sf.runsOutAt} />}
            </Fact>
            <Fact label="Retries">
              {sf.retriesPaused ? (
                <Badge tone="warn">Paused (75% gate)</Badge>
              ) : (
                <Badge tone="ok">Automatic</Badge>
              )}
            </Fact>
            {sf.pausedUntil === null ? null : (
              <Fact label="Calls paused until">
                <Time at={sf.pausedUntil} />
              </Fact>
            )}
            {polling === undefined ? null : (
              <Fact label="Idle polling">
                every {count(polling.intervalSeconds)} s costs {count(polling.idleCallsPerDay)} calls a day
                {polling.share === null ? '' : ` (${share(polling.share)} of the allocation)`}
                {polling.verdict === 'ok' ? null : (
                  <>
                    {' '}
                    <Badge tone={polling.verdict === 'refuse' ? 'bad' : 'warn'}>
                      {polling.verdict === 'refuse' ? 'too often' : 'costly'}
                    </Badge>
                    {polling.suggestedSeconds === null ? '' : ` — try ${count(polling.suggestedSeconds)} s`}
                  </>
                )}
              </Fact>
            )}
          </dl>
        </article>
        <article class="card" aria-labelledby="budget-hs">
          <h3 id="budget-hs">HubSpot</h3>
          <dl class="facts">
            <Fact label="Used (24 h)">
              <Num value={hs.used24h} />
            </Fact>
            <Fact label="Throttled (429, 24 h)">
              {hs.throttled24h === 0 ? (
                <Badge tone="ok">none</Badge>
              ) : (
                <Badge tone="warn">{count(hs.throttled24h)} waited out and retried</Badge>
              )}
            </Fact>
          </dl>
        </article>
      </div>
      <div class="section-head">
        <h3>Calls over time</h3>
        <WindowSwitch windows={['24h', '7d']} value={span} onChange={setSpan} label="Calls window" />
      </div>
      <LoadError error={series.error} status={series.status} what="the calls series" />
      {series.data === undefined ? null : (
        <TimeChart
          title={`API calls per side, last ${span}`}
          summary={`In the last ${span}: ${count(sum(points.map((p) => p.callsSalesforce)))} Salesforce calls, ${count(
            sum(points.map((p) => p.callsHubspot)),
          )} HubSpot calls, ${count(sum(points.map((p) => p.throttled)))} HubSpot 429s.`}
          times={points.map((p) => p.at)}
          stepMs={series.data.stepMs}
          series={[
            {
              label: 'Salesforce calls',
              values: points.map((p) => p.callsSalesforce),
              mark: 'bars',
              tone: 'accent',
            },
            {
              label: 'HubSpot calls',
              values: points.map((p) => p.callsHubspot),
              mark: 'dashed',
              tone: 'second',
            },
            { label: 'HubSpot 429s', values: points.map((p) => p.throttled), mark: 'line', tone: 'bad' },
          ]}
        />
      )}
    </section>
  );
}
