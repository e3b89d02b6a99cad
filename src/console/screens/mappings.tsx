/**
 * Mappings: each HubSpot property ⇄ Salesforce field with its types, rule and status checked against
 * both systems now; add one, change a rule, remove a custom one (after a confirmation). Refusals are
 * the API's (the CLI's checks, F1–F6), shown next to the field they name. A new mapping is not
 * retroactive (F7): Backfill starts an import. A mapping between a single-select property and a
 * picklist has a value map (F11), edited below the table (`value-map.tsx`).
 */
import { useState } from 'preact/hooks';
import { routes } from '../../api/contract.ts';
import { sfPersonObjects, syncRules, type SyncRule } from '../../core/model.ts';
import { ruleName, words } from '../format.ts';
import { Badge, ErrorNote, LoadError, ScreenTitle, TableWrap, type Tone } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, useResource } from '../ui/hooks.ts';
import type { ApiResult, ConsoleApi, Failure } from '../api.ts';
import { takesValueMap, ValueMapEditor } from './value-map.tsx';

type Status = 'ok' | 'type_mismatch' | 'field_gone' | 'property_gone' | 'not_writable';
interface Row {
  readonly hsProperty: string;
  readonly sfField: string;
  readonly rule: SyncRule;
  readonly isDefault: boolean;
  readonly objects: readonly ('Lead' | 'Contact')[];
  readonly status?: Status;
  readonly detail?: string;
  readonly hsType?: string | null;
  readonly sfTypes?: Record<string, string>;
}

const statusTone: Record<Status, Tone> = {
  ok: 'ok',
  type_mismatch: 'bad',
  field_gone: 'bad',
  property_gone: 'bad',
  not_writable: 'warn',
};

/** The mappings with their status; without the status route (an older service), the plain list. */
async function loadMappings(api: ConsoleApi): Promise<ApiResult<{ rows: readonly Row[]; checked: boolean }>> {
  const status = await api.call(routes.mappingStatus);
  if (status.ok) return { ...status, value: { rows: status.value.mappings, checked: true } };
  if (status.status !== 404) return status;
  const plain = await api.call(routes.listMappings);
  return plain.ok ? { ...plain, value: { rows: plain.value.mappings, checked: false } } : plain;
}

export function MappingsScreen() {
  const { api } = useConsole();
  const list = useResource(() => loadMappings(api), [api]);
  const [added, setAdded] = useState<string>();
  const rows = list.data?.rows ?? [];
  return (
    <>
      <ScreenTitle>Mappings</ScreenTitle>
      <p class="lead">
        Each HubSpot contact property ⇄ Salesforce field pair, and which side wins (its rule). Changes apply
        from the next cycle.
      </p>
      <LoadError error={list.error} status={list.status} what="the mappings" />
      {list.data?.checked === false ? (
        <p class="note note-warn">
          This service does not check mappings against both systems yet: no status column.
        </p>
      ) : null}
      <TableWrap label="Mappings">
        <table>
          <thead>
            <tr>
              <th scope="col">HubSpot property</th>
              <th scope="col">Salesforce field</th>
              <th scope="col">Objects</th>
              <th scope="col">Types</th>
              <th scope="col">Rule</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <MappingRow key={row.hsProperty} row={row} onChange={list.reload} />
            ))}
          </tbody>
        </table>
      </TableWrap>
      <ValueMaps rows={rows} />
      <AddMapping
        onAdded={(hsProperty) => {
          setAdded(hsProperty);
          list.reload();
        }}
      />
      <Backfill added={added} />
    </>
  );
}

function MappingRow(props: { row: Row; onChange: () => void }) {
  const { api, announce } = useConsole();
  const { row } = props;
  const [failure, setFailure] = useState<Failure['error']>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const errorId = `mapping-${row.hsProperty}-error`;

  const setRule = async (rule: SyncRule) => {
    setBusy(true);
    const result = await api.call(routes.setMappingRule, {
      params: { hsProperty: row.hsProperty },
      body: { rule },
    });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    announce(`${row.hsProperty}: rule set to ${ruleName(rule)}.`);
    props.onChange();
  };
  const remove = async () => {
    setBusy(true);
    const result = await api.call(routes.removeMapping, { params: { hsProperty: row.hsProperty } });
    setBusy(false);
    setConfirming(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    announce(`Removed the mapping of ${row.hsProperty}.`);
    props.onChange();
  };

  const types: [string, string][] = [
    ...(row.hsType === undefined ? [] : [['HubSpot', row.hsType ?? 'missing'] as [string, string]]),
    ...Object.entries(row.sfTypes ?? {}),
  ];

  return (
    <>
      <tr>
        <th scope="row">
          <code>{row.hsProperty}</code>
        </th>
        <td>
          <code>{row.sfField}</code>
        </td>
        <td>{row.objects.length === 0 ? <span class="muted">none</span> : row.objects.join(' ')}</td>
        <td>
          {types.length === 0 ? (
            <span class="muted">—</span>
          ) : (
            <ul class="types">
              {types.map(([side, type]) => (
                <li key={side}>
                  <span class="muted">{side}</span> {type}
                </li>
              ))}
            </ul>
          )}
        </td>
        <td>
          <label class="visually-hidden" for={`rule-${row.hsProperty}`}>
            Rule of {row.hsProperty}
          </label>
          <select
            id={`rule-${row.hsProperty}`}
            value={row.rule}
            disabled={busy}
            aria-describedby={failure ? errorId : undefined}
            aria-invalid={failure?.field === 'rule' ? true : undefined}
            onChange={(event) => void setRule(event.currentTarget.value as SyncRule)}
          >
            {syncRules.map((rule) => (
              <option key={rule} value={rule}>
                {ruleName(rule)}
              </option>
            ))}
          </select>
        </td>
        <td>{row.isDefault ? 'default' : 'custom'}</td>
        <td>
          {row.status === undefined ? (
            <span class="muted">—</span>
          ) : (
            <>
              <Badge tone={statusTone[row.status]}>{words(row.status)}</Badge>
              {row.status === 'ok' ? null : <div class="detail">{row.detail}</div>}
            </>
          )}
        </td>
        <td class="nowrap">
          {row.isDefault ? (
            <span class="muted">built in</span>
          ) : confirming ? (
            <span class="confirm" role="group" aria-label={`Confirm removing ${row.hsProperty}`}>
              <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
                Remove {row.hsProperty}
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Remove…
            </button>
          )}
        </td>
      </tr>
      {failure === undefined ? null : (
        <tr class="row-note">
          <td colSpan={8}>
            <ErrorNote id={errorId} error={failure} title={`${row.hsProperty} not changed`} />
          </td>
        </tr>
      )}
    </>
  );
}

/** F11: the value map of one mapping that can carry one (Lead Status first). */
function ValueMaps(props: { rows: readonly Row[] }) {
  const candidates = props.rows.filter(takesValueMap).map((r) => r.hsProperty);
  const [chosen, setChosen] = useState<string>();
  const shown = chosen ?? (candidates.includes('hs_lead_status') ? 'hs_lead_status' : candidates[0]);
  if (shown === undefined) return null;
  return (
    <>
      <div class="field value-map-pick">
        <label for="value-map-of">Value map of</label>
        <select id="value-map-of" value={shown} onChange={(event) => setChosen(event.currentTarget.value)}>
          {candidates.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <ValueMapEditor key={shown} hsProperty={shown} />
    </>
  );
}

function AddMapping(props: { onAdded: (hsProperty: string) => void }) {
  const { api, announce } = useConsole();
  const [hsProperty, setHsProperty] = useState('');
  const [sfField, setSfField] = useState('');
  const [rule, setRule] = useState<SyncRule | ''>('');
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const at = (field: string) => failure?.field === field;
  const describe = (field: string) => (at(field) ? 'add-mapping-error' : undefined);

  const submit = async () => {
    setBusy(true);
    const result = await api.call(routes.addMapping, {
      body: { hsProperty: hsProperty.trim(), sfField: sfField.trim(), ...(rule === '' ? {} : { rule }) },
    });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    const m = result.value.mapping;
    announce(`Mapped ${m.hsProperty} ⇄ ${m.sfField} (${ruleName(m.rule)}).`);
    setHsProperty('');
    setSfField('');
    setRule('');
    props.onAdded(m.hsProperty);
  };

  return (
    <section aria-labelledby="add-mapping-h" class="panel">
      <h2 id="add-mapping-h">Add a mapping</h2>
      <form
        class="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="field">
          <label for="add-hs">HubSpot property (internal name)</label>
          <input
            id="add-hs"
            required
            value={hsProperty}
            aria-invalid={at('hsProperty') ? true : undefined}
            aria-describedby={describe('hsProperty')}
            onInput={(event) => setHsProperty(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="add-sf">Salesforce field (API name)</label>
          <input
            id="add-sf"
            required
            value={sfField}
            aria-invalid={at('sfField') ? true : undefined}
            aria-describedby={describe('sfField')}
            onInput={(event) => setSfField(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="add-rule">Rule</label>
          <select
            id="add-rule"
            value={rule}
            aria-invalid={at('rule') ? true : undefined}
            aria-describedby={describe('rule')}
            onChange={(event) => setRule(event.currentTarget.value as SyncRule | '')}
          >
            <option value="">Default for this field</option>
            {syncRules.map((r) => (
              <option key={r} value={r}>
                {ruleName(r)}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-button">
          <button type="submit" class="primary" disabled={busy}>
            Add mapping
          </button>
        </div>
      </form>
      <ErrorNote id="add-mapping-error" error={failure} title="Not added" />
      <p class="hint">
        Salesforce objects: {sfPersonObjects.join(' and ')}. The field must exist on at least one, with a type
        that fits the property.
      </p>
    </section>
  );
}

function Backfill(props: { added: string | undefined }) {
  const { api, announce } = useConsole();
  const [failure, setFailure] = useState<Failure['error']>();
  const [started, setStarted] = useState(false);
  const start = async () => {
    const result = await api.call(routes.startImport, { body: {} });
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    setStarted(true);
    announce('Backfill started: an import of every Salesforce lead and contact.');
  };
  return (
    <section aria-labelledby="backfill-h" class={`panel${props.added ? ' panel-warn' : ''}`}>
      <h2 id="backfill-h">A mapping is not retroactive</h2>
      <p>
        {props.added ? (
          <>
            <code>{props.added}</code> syncs from now on, when a record changes.{' '}
          </>
        ) : (
          'A new mapping (or rule) applies to records as they change. '
        )}
        Records already in sync keep their values until they change (F7). A backfill imports every Salesforce
        record again, so the new mapping applies to all of them.
      </p>
      <div class="toolbar">
        <button type="button" onClick={() => void start()}>
          Backfill
        </button>
        {started ? <a href={hashOf(['imports'])}>Follow the import on the Imports screen</a> : null}
      </div>
      <ErrorNote error={failure} title="Backfill not started" />
    </section>
  );
}
