/**
 * Imports: start an import of Salesforce leads and/or contacts, follow it live (every second while it
 * runs), and see its result.
 */
import { useState } from 'preact/hooks';
import { routes, type ImportProgress } from '../../api/contract.ts';
import { sfPersonObjects, type SfPersonObject } from '../../core/model.ts';
import { count, duration } from '../format.ts';
import { Badge, ErrorNote, Fact, LoadError, ScreenTitle, Time } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';
import type { PreviewAnswer } from '../../api/preview-contract.ts';
import { CompareTable, PreviewPanel } from '../ui/preview.tsx';

const LIVE_MS = 1_000;
const IDLE_MS = 10_000;

export function ImportsScreen() {
  const { api, announce } = useConsole();
  const [objects, setObjects] = useState<ReadonlySet<SfPersonObject>>(new Set(sfPersonObjects));
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const [running, setRunning] = useState(false);
  const current = useResource(
    async () => {
      const result = await api.call(routes.currentImport);
      setRunning(result.ok && result.value.import?.state === 'running');
      return result;
    },
    [api],
    running ? LIVE_MS : IDLE_MS,
  );
  const progress = current.data?.import ?? null;

  const [previewed, setPreviewed] = useState<PreviewAnswer | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const chosen = () => sfPersonObjects.filter((o) => objects.has(o));

  /** Starts the import: its refusal, or undefined once it runs. */
  const start = async (): Promise<Failure['error'] | undefined> => {
    setBusy(true);
    const result = await api.call(routes.startImport, { body: { objects: chosen() } });
    setBusy(false);
    if (!result.ok) return result.error;
    setRunning(result.value.state === 'running');
    setStarted(result.value.id);
    announce(`Import ${result.value.id} started.`);
    current.reload();
    return undefined;
  };

  /** U1: what the import would do, before starting it. */
  const preview = async () => {
    setBusy(true);
    const result = await api.call(routes.preview, { body: { kind: 'import', objects: chosen() } });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    setPreviewed(result.value);
    announce('Preview of the import ready.');
  };

  return (
    <>
      <ScreenTitle>Imports</ScreenTitle>
      <section class="panel" aria-labelledby="import-start-h">
        <h2 id="import-start-h">Start an import</h2>
        <p>
          Reads every Salesforce record of the objects chosen and syncs it (matching by email, creating what
          is missing). Use it for the first sync, or to backfill a new mapping.
        </p>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void start().then(setFailure);
          }}
        >
          <fieldset class="checks">
            <legend>Salesforce objects</legend>
            {sfPersonObjects.map((object) => (
              <label key={object} class="check">
                <input
                  type="checkbox"
                  checked={objects.has(object)}
                  onChange={(event) => {
                    const next = new Set(objects);
                    if (event.currentTarget.checked) next.add(object);
                    else next.delete(object);
                    setObjects(next);
                  }}
                />
                {object}s
              </label>
            ))}
          </fieldset>
          <button
            type="submit"
            class="primary"
            disabled={busy || objects.size === 0 || progress?.state === 'running'}
          >
            Start import
          </button>{' '}
          <button
            type="button"
            disabled={busy || objects.size === 0 || progress?.state === 'running'}
            onClick={() => void preview()}
          >
            Preview
          </button>
          {progress?.state === 'running' ? <span class="muted"> An import is running.</span> : null}
        </form>
        <ErrorNote error={failure} title="Import not started" />
      </section>
      {previewed ? (
        <PreviewPanel
          answer={previewed}
          applyLabel="Apply: start the import"
          apply={start}
          onClose={() => setPreviewed(null)}
          after={(_since, report) =>
            progress && progress.id === started ? (
              <CompareTable
                preview={report}
                did={{ ...progress, planned: Number.NaN }}
                caption={`Import ${progress.id} ${progress.state === 'running' ? 'so far' : 'done'}, next to the preview`}
              />
            ) : (
              <p role="status">Applied. Waiting for the import to report…</p>
            )
          }
        />
      ) : null}
      <LoadError error={current.error} status={current.status} what="the import" />
      {progress === null ? (
        current.data === undefined ? null : (
          <p class="muted">No import yet.</p>
        )
      ) : (
        <Progress progress={progress} />
      )}
    </>
  );
}

function Progress(props: { progress: ImportProgress }) {
  const p = props.progress;
  const running = p.state === 'running';
  const sides = (s: { salesforce: number; hubspot: number }) =>
    `${count(s.salesforce)} Salesforce, ${count(s.hubspot)} HubSpot`;
  return (
    <section class="panel" aria-labelledby="import-h" aria-busy={running}>
      <div class="card-head">
        <h2 id="import-h">{running ? 'Import running' : 'Last import'}</h2>
        <Badge tone={running ? 'info' : p.failed > 0 ? 'warn' : 'ok'}>{running ? 'running' : 'done'}</Badge>
      </div>
      <div class="stats" aria-live={running ? 'polite' : 'off'}>
        <div class="stat">
          <span class="stat-value">{count(p.records)}</span>
          <span class="stat-label">records read</span>
        </div>
        <div class="stat">
          <span class="stat-value">{count(p.synced)}</span>
          <span class="stat-label">synced</span>
        </div>
        <div class="stat">
          <span class="stat-value">{count(p.created.salesforce + p.created.hubspot)}</span>
          <span class="stat-label">created</span>
        </div>
        <div class="stat">
          <span class="stat-value">{count(p.linked)}</span>
          <span class="stat-label">linked to existing</span>
        </div>
        <div class="stat">
          <span class="stat-value">{count(p.skipped)}</span>
          <span class="stat-label">skipped</span>
        </div>
        <div class={`stat${p.failed > 0 ? ' stat-bad' : ''}`}>
          <span class="stat-value">{count(p.failed)}</span>
          <span class="stat-label">failed</span>
        </div>
        <div class="stat">
          <span class="stat-value">{count(p.pages)}</span>
          <span class="stat-label">pages</span>
        </div>
      </div>
      <dl class="facts facts-wide">
        <Fact label="Import">
          <code>{p.id}</code> of {p.objects.join(' and ')}
        </Fact>
        <Fact label="Started">
          <Time at={p.startedAt} />
        </Fact>
        <Fact label={running ? 'Running for' : 'Took'}>
          {duration((p.finishedAt ?? Date.now()) - p.startedAt)}
        </Fact>
        <Fact label="Created">{sides(p.created)}</Fact>
        <Fact label="Written (created and updated)">{sides(p.written)}</Fact>
        <Fact label="API calls">{sides(p.calls)}</Fact>
        {p.held === null ? null : (
          <Fact label="Held">
            <Badge tone="warn">waiting</Badge> {p.held}
          </Fact>
        )}
      </dl>
      {running ? null : (
        <p>
          Result: {count(p.records)} records read in {count(p.pages)} page{p.pages === 1 ? '' : 's'};{' '}
          {count(p.synced)} synced: {count(p.created.salesforce + p.created.hubspot)} created,{' '}
          {count(p.linked)} newly linked to records already there,{' '}
          {count(Math.max(0, p.synced - p.created.salesforce - p.created.hubspot - p.linked))} linked before;{' '}
          {count(p.skipped)} skipped, {count(p.failed)} failed.{' '}
          {p.failed > 0 ? <a href="#/errors">See the errors.</a> : null}
        </p>
      )}
    </section>
  );
}
