/**
 * The Mappings screen's value-map editor (F11): for a mapping between a single-select HubSpot property
 * and a Salesforce picklist, which Salesforce value each HubSpot value writes and which HubSpot value
 * each Salesforce value writes back. Entries are set and removed here and saved whole
 * (`PUT /api/mappings/:p/values`), where both systems' values check them; a suggestion from both
 * systems' values and labels is shown first and saved only when asked.
 */
import { useState } from 'preact/hooks';
import { routes } from '../../api/contract.ts';
import { EMPTY_VALUE_MAP, removeValue, withValue, type ValueMap } from '../../core/value-maps.ts';
import { ErrorNote, LoadError, TableWrap } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';

/** Whether a mapping's two ends can carry a value map: a single-select property and picklists. */
export function takesValueMap(row: { hsType?: string | null; sfTypes?: Record<string, string> }): boolean {
  const sf = Object.values(row.sfTypes ?? {});
  return (
    (row.hsType === 'select' || row.hsType === 'radio') && sf.length > 0 && sf.every((t) => t === 'picklist')
  );
}

export function ValueMapEditor(props: { hsProperty: string }) {
  const { api, announce } = useConsole();
  const { hsProperty } = props;
  const view = useResource(() => api.call(routes.getValueMap, { params: { hsProperty } }), [api, hsProperty]);
  const [hs, setHs] = useState('');
  const [sf, setSf] = useState('');
  const [wayBack, setWayBack] = useState(false);
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const [suggestion, setSuggestion] = useState<{
    map: ValueMap;
    unmatchedHubSpot: readonly string[];
    unmatchedSalesforce: readonly string[];
  }>();

  const save = async (map: ValueMap | null, said: string): Promise<boolean> => {
    setBusy(true);
    const result = await api.call(routes.putValueMap, { params: { hsProperty }, body: { map } });
    setBusy(false);
    if (!result.ok) {
      setFailure(result.error);
      return false;
    }
    setFailure(undefined);
    setSuggestion(undefined);
    announce(said);
    view.reload();
    return true;
  };
  const suggest = async () => {
    setBusy(true);
    const result = await api.call(routes.suggestValueMap, { params: { hsProperty } });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    setSuggestion(result.value);
  };

  const current = view.data?.map ?? null;
  const map = current ?? EMPTY_VALUE_MAP;
  const sfField = view.data?.sfField ?? '';
  return (
    <section aria-labelledby="value-map-h" class="panel">
      <h2 id="value-map-h">
        Values of <code>{hsProperty}</code> ⇄ <code>{sfField}</code>
      </h2>
      <LoadError error={view.error} status={view.status} what="the value map" />
      {view.data ? (
        <p>
          {current === null
            ? 'No value map: values move by their internal value, and one the other side lacks is an error.'
            : view.data.shipped
              ? "Crosswalk's default map. A value with no entry is a Property value error that names it."
              : 'A value with no entry is a Property value error that names it.'}
        </p>
      ) : null}
      <div class="value-maps">
        <MapTable
          caption="HubSpot → Salesforce"
          from="HubSpot value"
          to="Salesforce value"
          entries={Object.entries(map.toSalesforce)}
          remove={(value) => {
            const removed = removeValue({ mapping: { hsProperty, sfField } }, map, value);
            if (removed.ok) void save(removed.value, `${value} removed from the value map.`);
          }}
        />
        <MapTable
          caption="Salesforce → HubSpot (the way back)"
          from="Salesforce value"
          to="HubSpot value"
          entries={Object.entries(map.toHubSpot)}
        />
      </div>
      <form
        class="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          void save(
            withValue(map, hs.trim(), sf.trim(), wayBack),
            `${hs.trim()} now writes ${sf.trim()}.`,
          ).then((saved) => {
            if (!saved) return;
            setHs('');
            setSf('');
            setWayBack(false);
          });
        }}
      >
        <div class="field">
          <label for="vm-hs">HubSpot value (internal)</label>
          <input id="vm-hs" required value={hs} onInput={(e) => setHs(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="vm-sf">Salesforce value</label>
          <input id="vm-sf" required value={sf} onInput={(e) => setSf(e.currentTarget.value)} />
        </div>
        <div class="field field-check">
          <label>
            <input type="checkbox" checked={wayBack} onChange={(e) => setWayBack(e.currentTarget.checked)} />{' '}
            Also the way back
          </label>
        </div>
        <div class="field field-button">
          <button type="submit" class="primary" disabled={busy}>
            Set value
          </button>
        </div>
      </form>
      <div class="toolbar">
        <button type="button" disabled={busy} onClick={() => void suggest()}>
          Suggest a map
        </button>
        {current === null ? null : (
          <button
            type="button"
            disabled={busy}
            onClick={() => void save(null, `${hsProperty}: value map cleared.`)}
          >
            Clear the map
          </button>
        )}
      </div>
      <ErrorNote error={failure} title="Value map not changed" />
      {suggestion ? (
        <section aria-labelledby="suggestion-h" class="suggestion">
          <h3 id="suggestion-h">Suggested map</h3>
          <MapTable
            caption="Suggested: HubSpot → Salesforce"
            from="HubSpot value"
            to="Salesforce value"
            entries={Object.entries(suggestion.map.toSalesforce)}
          />
          {suggestion.unmatchedHubSpot.length ? (
            <p>HubSpot values left unpaired: {suggestion.unmatchedHubSpot.join(', ')}</p>
          ) : null}
          {suggestion.unmatchedSalesforce.length ? (
            <p>Salesforce values left unpaired: {suggestion.unmatchedSalesforce.join(', ')}</p>
          ) : null}
          <div class="toolbar">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => void save(suggestion.map, `${hsProperty}: the suggested map is saved.`)}
            >
              Use this map
            </button>
            <button type="button" onClick={() => setSuggestion(undefined)}>
              Keep the current one
            </button>
          </div>
        </section>
      ) : null}
    </section>
  );
}

function MapTable(props: {
  caption: string;
  from: string;
  to: string;
  entries: readonly [string, string][];
  remove?: ((value: string) => void) | undefined;
}) {
  return (
    <TableWrap label={props.caption}>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.from}</th>
            <th scope="col">{props.to}</th>
            {props.remove ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {props.entries.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                No entry
              </td>
            </tr>
          ) : (
            props.entries.map(([from, to]) => (
              <tr key={from}>
                <th scope="row">
                  <code>{from}</code>
                </th>
                <td>
                  <code>{to}</code>
                </td>
                {props.remove ? (
                  <td>
                    <button type="button" onClick={() => props.remove!(from)}>
                      Remove {from}
                    </button>
                  </td>
                ) : null}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </TableWrap>
  );
}
