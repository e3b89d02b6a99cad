/**
 * U1 in the console: a preview's report, then Apply or Cancel; once applied, the first run that
 * started after it is shown next to what the preview said (polled until it comes).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { routes, type RunSummary } from '../../api/contract.ts';
import type { PreviewAnswer } from '../../api/preview-contract.ts';
import { count } from '../format.ts';
import { ErrorNote, TableWrap } from './bits.tsx';
import { useConsole } from './context.ts';
import { useResource } from './hooks.ts';
import type { Failure } from '../api.ts';

type Report = PreviewAnswer['report'];

/** The counts a run reports, preview and applied alike, as rows. */
const ROWS: readonly [
  string,
  (r: Pick<RunSummary, 'planned' | 'synced' | 'skipped' | 'failed' | 'created' | 'written'>) => number,
][] = [
  ['Records planned', (r) => r.planned],
  ['Synced', (r) => r.synced],
  ['Skipped', (r) => r.skipped],
  ['Failed', (r) => r.failed],
  ['Created in Salesforce', (r) => r.created.salesforce],
  ['Created in HubSpot', (r) => r.created.hubspot],
  ['Written in Salesforce', (r) => r.written.salesforce],
  ['Written in HubSpot', (r) => r.written.hubspot],
];

function FieldTable(props: { system: string; side: Report['writes']['salesforce'] }) {
  const fields = Object.entries(props.side.fields).sort(([a], [b]) => a.localeCompare(b));
  if (fields.length === 0) return <p>{props.system}: no field written.</p>;
  return (
    <TableWrap label={`${props.system} fields`}>
      <table class="preview-fields">
        <caption>{props.system}: fields written</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Set on</th>
            <th scope="col">Cleared on</th>
          </tr>
        </thead>
        <tbody>
          {fields.map(([field, { set, cleared }]) => (
            <tr key={field}>
              <th scope="row">
                <code>{field}</code>
              </th>
              <td class="num">{count(set)}</td>
              <td class="num">{count(cleared)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The counts a run reports (a run, or an import's pages added up). */
export type RunCounts = Parameters<(typeof ROWS)[number][1]>[0];

/** What the preview said next to what the applied run did, row by row; a row that differs is marked. */
export function CompareTable(props: { preview: Report; did: RunCounts; caption: ComponentChildren }) {
  return (
    <TableWrap label="What the preview said and what the run did">
      <table class="preview-compare">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Count</th>
            <th scope="col">Preview said</th>
            <th scope="col">The run did</th>
          </tr>
        </thead>
        <tbody>
          {ROWS.filter(([, of]) => !Number.isNaN(of(props.did))).map(([label, of]) => (
            <tr key={label} class={of(props.preview.run) === of(props.did) ? undefined : 'differs'}>
              <th scope="row">{label}</th>
              <td class="num">{count(of(props.preview.run))}</td>
              <td class="num">{count(of(props.did))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {ROWS.some(([, of]) => !Number.isNaN(of(props.did)) && of(props.preview.run) !== of(props.did)) ? (
        <p class="hint">
          Marked rows differ: the systems changed between the preview and the run (a change that came in after
          it), or a system refused a write the preview counted as made.
        </p>
      ) : null}
    </TableWrap>
  );
}

/** The first run of the pair that started at or after `since`, polled until there is one. */
function AppliedRun(props: { since: number; preview: Report }) {
  const { api } = useConsole();
  const runs = useResource(() => api.call(routes.listRuns, { query: { limit: 20 } }), [api], 2000);
  const run = [...(runs.data?.runs ?? [])].reverse().find((r) => r.startedAt >= props.since);
  if (!run)
    return (
      <p role="status">
        Applied. Waiting for the run it feeds (the next sync cycle) to report…
        {props.preview.run.planned === 0
          ? ' The preview planned nothing, and a cycle with nothing to do is not kept.'
          : null}
      </p>
    );
  return (
    <CompareTable
      preview={props.preview}
      did={run}
      caption={
        <>
          The run <code>{run.runId}</code> next to the preview
        </>
      }
    />
  );
}

/**
 * A preview and its Apply: `apply` makes the change (its refusal is shown), after which the run
 * that follows is compared with the preview.
 */
export function PreviewPanel(props: {
  answer: PreviewAnswer;
  applyLabel: string;
  apply: () => Promise<Failure['error'] | undefined>;
  onClose: () => void;
  /** What to show once applied (default: the first run after it, next to the preview). */
  after?: (since: number, report: Report) => ComponentChildren;
}) {
  const { api, announce } = useConsole();
  const { what, report } = props.answer;
  const [applied, setApplied] = useState<number | null>(null);
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const { spent, apply } = report.calls;
  const applyChange = async () => {
    setBusy(true);
    // The runs before the change: the run it feeds is the first that starts after them (the
    // service's clock, not this browser's).
    const before = await api.call(routes.listRuns, { query: { limit: 1 } });
    const since = before.ok ? (before.value.runs[0]?.startedAt ?? 0) + 1 : 0;
    const refused = await props.apply();
    setBusy(false);
    setFailure(refused);
    if (refused) return;
    setApplied(since);
    announce(`Applied: ${what}.`);
  };
  const optOuts = report.writes.hubspot.optOuts;
  return (
    <section class="panel preview" aria-labelledby="preview-h">
      <h2 id="preview-h">Preview of {what}</h2>
      <p>
        Nothing was written. {report.run.paused ? `It would not run now: ${report.run.paused.why}` : null}
      </p>
      {report.sample ? (
        <p class="note">
          Sampled: {(report.sample.rate * 100).toFixed(2)}% of {count(report.sample.scope)} records planned.
          Estimated for all, at 95% confidence: {count(report.sample.estimates.written.value)} written (
          {count(report.sample.estimates.written.low)}–{count(report.sample.estimates.written.high)}),{' '}
          {count(report.sample.estimates.created.value)} created. The counts below are the sample’s.
        </p>
      ) : null}
      {applied === null ? (
        <TableWrap label="What it would do">
          <table class="preview-counts">
            <caption>What it would do</caption>
            <tbody>
              {ROWS.map(([label, of]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td class="num">{count(of(report.run))}</td>
                </tr>
              ))}
              <tr>
                <th scope="row">Unsubscribed in HubSpot (O1)</th>
                <td class="num">{count(optOuts)}</td>
              </tr>
            </tbody>
          </table>
        </TableWrap>
      ) : (
        (props.after ?? ((since, r) => <AppliedRun since={since} preview={r} />))(applied, report)
      )}
      <FieldTable system="Salesforce" side={report.writes.salesforce} />
      <FieldTable system="HubSpot" side={report.writes.hubspot} />
      {report.errors.length === 0 ? (
        <p>Errors it would meet: none foreseen.</p>
      ) : (
        <ul class="preview-errors" aria-label="Errors it would meet">
          {report.errors.map((e) => (
            <li key={`${e.code}-${e.direction}`}>
              <strong>{count(e.records)}</strong> {e.category.replace(/_/g, ' ')} ({e.code}), e.g.{' '}
              {e.examples.join(', ')}
            </li>
          ))}
        </ul>
      )}
      <p>
        API calls: this preview spent {count(spent.salesforce)} Salesforce and {count(spent.hubspot)} HubSpot;
        applying would spend {report.sample ? 'about ' : ''}
        {count(apply.salesforce)} Salesforce and {count(apply.hubspot)} HubSpot.
      </p>
      <ErrorNote error={failure} title="Not applied" />
      <div class="actions">
        {applied === null ? (
          <button type="button" class="primary" disabled={busy} onClick={() => void applyChange()}>
            {props.applyLabel}
          </button>
        ) : null}
        <button type="button" onClick={props.onClose}>
          {applied === null ? 'Cancel' : 'Close'}
        </button>
      </div>
    </section>
  );
}
