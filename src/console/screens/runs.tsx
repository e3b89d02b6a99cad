/**
 * Runs: every run (poll cycle, webhook batch, import, reconcile, resync, undo) with its trigger,
 * timing, records and calls, filtered by kind and paged back in time; open one to see its summary and
 * the values it wrote, and undo it (U2: `run-undo.tsx`). The newest page polls every 5 s.
 */
import { routes, runKinds, type RunSummary } from '../../api/contract.ts';
import { count, duration, localTime, words } from '../format.ts';
import { Badge, Fact, LoadError, Pager, ScreenTitle, TableWrap, Time } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, navigate, useResource } from '../ui/hooks.ts';
import { Audit } from './contact.tsx';
import { UndoPanel } from './run-undo.tsx';

const POLL_MS = 5_000;
const PAGE = 50;
const WRITES_PAGE = 200;
type Kind = RunSummary['kind'];

const kindWords: Record<Kind, string> = {
  run: 'poll cycle',
  webhook: 'webhook batch',
  reconcile: 'reconcile',
  resync: 'resync',
  import: 'import',
  undo: 'undo',
};

export function RunsScreen(props: { path: readonly string[]; params: URLSearchParams }) {
  const runId = props.path[1];
  return runId === undefined ? (
    <RunList params={props.params} />
  ) : (
    <RunDetail runId={runId} params={props.params} />
  );
}

function RunList(props: { params: URLSearchParams }) {
  const { api } = useConsole();
  const kindParam = props.params.get('kind') ?? '';
  const kind = (runKinds as readonly string[]).includes(kindParam) ? (kindParam as Kind) : undefined;
  const beforeParam = Number(props.params.get('before') ?? '');
  const before = Number.isInteger(beforeParam) && beforeParam > 0 ? beforeParam : undefined;
  const runs = useResource(
    () => api.call(routes.listRuns, { query: { limit: PAGE, kind, before } }),
    [api, kind, before],
    before === undefined ? POLL_MS : null,
  );
  const data = runs.data;
  return (
    <>
      <ScreenTitle>Runs</ScreenTitle>
      <div class="filters">
        <div class="field">
          <label for="runs-kind">Kind</label>
          <select
            id="runs-kind"
            value={kind ?? ''}
            onChange={(event) => navigate(hashOf(['runs'], { kind: event.currentTarget.value }), true)}
          >
            <option value="">Every kind</option>
            {runKinds.map((k) => (
              <option key={k} value={k}>
                {kindWords[k]}
              </option>
            ))}
          </select>
        </div>
        {before === undefined ? (
          <span class="muted">Newest first; updates every 5 s.</span>
        ) : (
          <span>
            Runs started before <Time at={before} />.
          </span>
        )}
      </div>
      <LoadError error={runs.error} status={runs.status} what="the runs" />
      <TableWrap label="Runs">
        <table class="runs-table">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Kind</th>
              <th scope="col" class="num">
                Duration
              </th>
              <th scope="col" class="num">
                Read
                <br />
                <span class="unit">SF / HS</span>
              </th>
              <th scope="col" class="num">
                Created
                <br />
                <span class="unit">SF / HS</span>
              </th>
              <th scope="col" class="num">
                Updated
                <br />
                <span class="unit">SF / HS</span>
              </th>
              <th scope="col" class="num">
                Skipped
              </th>
              <th scope="col" class="num">
                Failed
              </th>
              <th scope="col" class="num">
                Calls
                <br />
                <span class="unit">SF / HS</span>
              </th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {data === undefined ? null : data.runs.length === 0 ? (
              <tr>
                <td colSpan={10} class="empty">
                  No runs{kind === undefined ? '' : ` of kind ${kindWords[kind]}`} yet.
                </td>
              </tr>
            ) : (
              data.runs.map((run) => <RunRow key={run.runId} run={run} />)
            )}
          </tbody>
        </table>
      </TableWrap>
      <nav class="pager" aria-label="Runs pages">
        <button
          type="button"
          disabled={before === undefined}
          onClick={() => navigate(hashOf(['runs'], { kind }), true)}
        >
          ↑ Newest
        </button>
        <button
          type="button"
          disabled={data?.next === null || data === undefined}
          onClick={() => data?.next && navigate(hashOf(['runs'], { kind, before: data.next }), true)}
        >
          Older ↓
        </button>
      </nav>
    </>
  );
}

const pair = (sides: { salesforce: number; hubspot: number }) =>
  `${count(sides.salesforce)} / ${count(sides.hubspot)}`;
const updated = (run: RunSummary) => ({
  salesforce: Math.max(0, run.written.salesforce - run.created.salesforce),
  hubspot: Math.max(0, run.written.hubspot - run.created.hubspot),
});

function RunRow(props: { run: RunSummary }) {
  const { run } = props;
  return (
    <tr>
      <th scope="row" class="nowrap">
        <a
          href={hashOf(['runs', run.runId])}
          aria-label={`Run ${run.runId}, started ${localTime(run.startedAt)}`}
        >
          <Time compact at={run.startedAt} />
        </a>
      </th>
      <td>
        {kindWords[run.kind]}
        <span class="sub">{run.trigger === 'poll' && run.kind === 'run' ? '' : `by ${run.trigger}`}</span>
      </td>
      <td class="num">{duration(run.finishedAt - run.startedAt)}</td>
      <td class="num">{pair(run.read)}</td>
      <td class="num">{pair(run.created)}</td>
      <td class="num">{pair(updated(run))}</td>
      <td class="num">{count(run.skipped)}</td>
      <td class="num">{run.failed === 0 ? '0' : <Badge tone="bad">{count(run.failed)}</Badge>}</td>
      <td class="num">{pair(run.calls)}</td>
      <td>
        {run.error === null ? null : <Badge tone="bad">{run.error.code}</Badge>}
        {run.paused === null ? null : <Badge tone="warn">calls paused</Badge>}
        {run.throttled === 0 ? null : <Badge tone="warn">{count(run.throttled)} × 429</Badge>}
        {run.faults === 0 ? null : <Badge tone="warn">{count(run.faults)} faults</Badge>}
        {run.undoes === null ? null : <Badge tone="info">undoes {run.undoes}</Badge>}
      </td>
    </tr>
  );
}

function RunDetail(props: { runId: string; params: URLSearchParams }) {
  const { api } = useConsole();
  const offsetParam = Number(props.params.get('offset') ?? 0);
  const offset = Number.isInteger(offsetParam) && offsetParam > 0 ? offsetParam : 0;
  const detail = useResource(
    () => api.call(routes.getRun, { params: { runId: props.runId }, query: { limit: WRITES_PAGE, offset } }),
    [api, props.runId, offset],
  );
  const data = detail.data;
  const run = data?.run;
  return (
    <>
      <p>
        <a href={hashOf(['runs'])}>← All runs</a>
      </p>
      <ScreenTitle>Run {props.runId}</ScreenTitle>
      <LoadError error={detail.error} status={detail.status} what="this run" />
      {run === undefined ? null : (
        <>
          <section class="panel" aria-labelledby="run-summary-h">
            <h2 id="run-summary-h">Summary</h2>
            <dl class="facts facts-wide">
              <Fact label="Kind">{kindWords[run.kind]}</Fact>
              {run.undoes === null ? null : (
                <Fact label="Undoes">
                  <a href={hashOf(['runs', run.undoes])}>{run.undoes}</a>
                </Fact>
              )}
              {data === undefined || data.undoneBy.length === 0 ? null : (
                <Fact label="Undone by">
                  {data.undoneBy.map((id, i) => (
                    <span key={id}>
                      {i === 0 ? '' : ', '}
                      <a href={hashOf(['runs', id])}>{id}</a>
                    </span>
                  ))}
                </Fact>
              )}
              <Fact label="Trigger">{run.trigger}</Fact>
              <Fact label="Started">
                <Time at={run.startedAt} />
              </Fact>
              <Fact label="Duration">{duration(run.finishedAt - run.startedAt)}</Fact>
              <Fact label="Read (Salesforce / HubSpot)">{pair(run.read)}</Fact>
              <Fact label="Planned">{count(run.planned)}</Fact>
              <Fact label="Synced">{count(run.synced)}</Fact>
              <Fact label="Skipped">{count(run.skipped)}</Fact>
              <Fact label="Failed">
                {count(run.failed)} ({count(run.failedBy.to_hubspot)} towards HubSpot,{' '}
                {count(run.failedBy.to_salesforce)} towards Salesforce)
              </Fact>
              <Fact label="Created (Salesforce / HubSpot)">{pair(run.created)}</Fact>
              <Fact label="Updated (Salesforce / HubSpot)">{pair(updated(run))}</Fact>
              <Fact label="API calls (Salesforce / HubSpot)">{pair(run.calls)}</Fact>
              <Fact label="HubSpot 429s">{count(run.throttled)}</Fact>
              <Fact label="Transient faults">{count(run.faults)}</Fact>
              {run.paused === null ? null : <Fact label="Salesforce calls paused">{run.paused}</Fact>}
              {run.error === null ? null : (
                <Fact label="Stopped by">
                  <Badge tone="bad">{words(run.error.code)}</Badge>{' '}
                  {run.error.system === null ? '' : `${run.error.system}: `}
                  {run.error.message}
                </Fact>
              )}
            </dl>
          </section>
          {data === undefined || data.total === 0 ? null : (
            <UndoPanel key={props.runId} runId={props.runId} onDone={detail.reload} />
          )}
          <section aria-labelledby="run-writes-h">
            <h2 id="run-writes-h">Values written ({count(data?.total ?? 0)})</h2>
            <Audit
              entries={data?.writes ?? []}
              label="Values this run wrote"
              empty="This run wrote nothing."
              showRecord
            />
            {data === undefined || data.total <= WRITES_PAGE ? null : (
              <Pager
                label="Values written"
                offset={offset}
                limit={WRITES_PAGE}
                shown={data.writes.length}
                total={data.total}
                onPage={(next) =>
                  navigate(hashOf(['runs', props.runId], { offset: next || undefined }), true)
                }
              />
            )}
          </section>
        </>
      )}
    </>
  );
}
