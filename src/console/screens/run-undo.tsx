/**
 * U2 on the Runs screen: undo a run. "Preview the undo" asks what it would do (nothing written): the
 * values it would restore per system and field, what it would skip and why, the records it would
 * delete; "Undo this run" then does it, and the result links to the undo's own run (which can be
 * undone in turn).
 */
import { useState } from 'preact/hooks';
import { routes } from '../../api/contract.ts';
import type { UndoAnswer, UndoReport } from '../../api/undo-contract.ts';
import type { UndoReason } from '../../core/undo.ts';
import type { Failure } from '../api.ts';
import { count, systemName } from '../format.ts';
import { ErrorNote, TableWrap, Time } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf } from '../ui/hooks.ts';

/** Skipped values listed on the screen (the report counts them all). */
const SHOWN = 50;

const reasonWords: Record<UndoReason, string> = {
  changed_since: 'Changed since the run',
  already_restored: 'Already back to the value before',
  record_gone: 'Record gone',
  converted: 'Lead converted since (M5)',
  field_gone: 'Field or property gone',
  opt_out: 'Opt-out: never undone (O1)',
  link_id: 'Link id: follows its link',
  link_kept: 'Link: kept',
  created: 'Created by the run: kept',
  created_changed: 'Created by the run, touched since: kept',
  deleted_record: 'Deleted by an undo: not brought back',
  company_kept: 'Company (K1): kept',
  failed: 'Refused by the system',
  not_reached: 'Not reached: undo again',
};

/** The core's reason, as a sentence. */
const sentence = (why: string) => why.charAt(0).toUpperCase() + why.slice(1);
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

const shown = (v: string | null) => (v === null || v === '' ? <span class="muted">empty</span> : v);

function Summary(props: { report: UndoReport }) {
  const u = props.report;
  const fields = u.byField;
  const reasons = Object.entries(u.skippedByReason) as [UndoReason, number][];
  const would = u.preview ? 'would be ' : '';
  return (
    <>
      <p>
        {count(u.restored.salesforce)} Salesforce and {plural(u.restored.hubspot, 'HubSpot value')} {would}
        restored, of {plural(u.records, 'record')} the run wrote; {count(u.skipped)} skipped
        {u.deleted.salesforce + u.deleted.hubspot > 0
          ? `; ${count(u.deleted.salesforce)} Salesforce and ${count(u.deleted.hubspot)} HubSpot records it created ${would}deleted`
          : ''}
        .
      </p>
      {fields.length === 0 ? null : (
        <TableWrap label="Values restored, per field">
          <table>
            <caption>Values {u.preview ? 'to restore' : 'restored'}, per field</caption>
            <thead>
              <tr>
                <th scope="col">System</th>
                <th scope="col">Field</th>
                <th scope="col" class="num">
                  Values
                </th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr key={`${f.system}:${f.field}`}>
                  <td>{systemName(f.system)}</td>
                  <th scope="row">
                    <code>{f.field}</code>
                  </th>
                  <td class="num">{count(f.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {reasons.length === 0 ? null : (
        <ul aria-label="Skipped, by reason">
          {reasons.map(([reason, n]) => (
            <li key={reason}>
              {reasonWords[reason]}: {count(n)}
            </li>
          ))}
        </ul>
      )}
      {u.listed.length === 0 ? null : (
        <TableWrap label="Skipped values">
          <table>
            <caption>
              Skipped{u.skipped > SHOWN ? ` (the first ${SHOWN} of ${count(u.skipped)})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Field</th>
                <th scope="col">The run wrote</th>
                <th scope="col">Now</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {u.listed.slice(0, SHOWN).map((item, i) => (
                <tr key={`${item.record}:${item.field}:${i}`}>
                  <td>
                    {systemName(item.system)} <code>{item.record}</code>
                  </td>
                  <td>
                    <code>{item.field}</code>
                  </td>
                  <td>{shown(item.runValue)}</td>
                  <td>{shown(item.current)}</td>
                  <td class="message">
                    {sentence(item.why)}
                    {item.changedAt === undefined ? null : (
                      <span class="sub">
                        changed <Time compact at={item.changedAt} />
                        {item.changedBy ? ` by ${item.changedBy}` : ''}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

/** The Undo panel of a run that wrote values; `onDone` is told once the undo ran. */
export function UndoPanel(props: { runId: string; onDone: () => void }) {
  const { api, announce } = useConsole();
  const [includeCreates, setIncludeCreates] = useState(false);
  const [preview, setPreview] = useState<UndoAnswer | null>(null);
  const [done, setDone] = useState<UndoAnswer | null>(null);
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);

  const call = async (asPreview: boolean, creates = includeCreates) => {
    setBusy(true);
    const result = await api.call(routes.undoRun, {
      params: { runId: props.runId },
      body: { preview: asPreview, includeCreates: creates },
    });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    if (asPreview) {
      setPreview(result.value);
      announce('Preview of the undo ready: nothing was written.');
    } else {
      setPreview(null);
      setDone(result.value);
      announce(`Run ${props.runId} undone.`);
      props.onDone();
    }
  };

  return (
    <section class="panel" aria-labelledby="undo-h">
      <h2 id="undo-h">Undo this run</h2>
      {done ? (
        <div role="status" class="undo-result">
          <p>
            <strong>Undone.</strong>{' '}
            {done.undoRunId ? (
              <>
                The undo is run <a href={hashOf(['runs', done.undoRunId])}>{done.undoRunId}</a>: open it to
                undo the undo.
              </>
            ) : null}{' '}
            {done.paused ? `Held back: ${done.paused}` : null}
          </p>
          <Summary report={done.undo} />
        </div>
      ) : (
        <>
          <p>
            Restores, in both systems, the values this run wrote that still hold what it wrote. Values changed
            since are skipped and listed; opt-outs are never undone (O1). The undo is a run of its own, so it
            can be undone in turn.
          </p>
          <label class="check">
            <input
              type="checkbox"
              checked={includeCreates}
              disabled={busy}
              onChange={(event) => {
                const checked = event.currentTarget.checked;
                setIncludeCreates(checked);
                if (preview) void call(true, checked);
              }}
            />
            Also delete the records this run created, where untouched since
          </label>
          {preview ? null : (
            <p>
              <button type="button" disabled={busy} onClick={() => void call(true)}>
                Preview the undo
              </button>
            </p>
          )}
        </>
      )}
      <ErrorNote error={failure} title="Not undone" />
      {preview ? (
        <div class="panel preview undo-preview" aria-labelledby="undo-preview-h">
          <h3 id="undo-preview-h">Preview of the undo</h3>
          <p>
            Nothing was written ({count(preview.calls.salesforce)} Salesforce and{' '}
            {count(preview.calls.hubspot)} HubSpot calls to read).
            {preview.paused ? ` It would not run now: ${preview.paused}` : ''}
          </p>
          <Summary report={preview.undo} />
          <p>
            <button type="button" class="primary" disabled={busy} onClick={() => void call(false)}>
              Undo this run
            </button>{' '}
            <button type="button" disabled={busy} onClick={() => setPreview(null)}>
              Cancel
            </button>
          </p>
        </div>
      ) : null}
    </section>
  );
}
