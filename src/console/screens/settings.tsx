/**
 * Settings: every setting with its description, default and current value, an input that fits its
 * type (read from the settings table's schema), Save per row with the API's refusal inline; and the
 * inclusion segment with its member count.
 */
import { useState } from 'preact/hooks';
import { routes, type Setting } from '../../api/contract.ts';
import { settingDefinitions, type SettingKey } from '../../config/settings.ts';
import { count, words } from '../format.ts';
import { ErrorNote, LoadError, ScreenTitle, TableWrap } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';

type Kind =
  | { readonly type: 'enum'; readonly options: readonly string[]; readonly nullable: boolean }
  | { readonly type: 'boolean' | 'number' | 'string'; readonly nullable: boolean };

interface SchemaShape {
  readonly def: { readonly type: string; readonly innerType?: SchemaShape };
  readonly options?: readonly string[];
}

/** The input a setting takes, from its schema in the settings table. */
export function kindOf(key: SettingKey): Kind {
  let schema = settingDefinitions[key].schema as unknown as SchemaShape;
  const nullable = schema.def.type === 'nullable';
  if (nullable && schema.def.innerType) schema = schema.def.innerType;
  if (schema.def.type === 'enum') return { type: 'enum', options: schema.options ?? [], nullable };
  if (schema.def.type === 'boolean' || schema.def.type === 'number')
    return { type: schema.def.type, nullable };
  return { type: 'string', nullable };
}

const shown = (value: Setting['value']): string =>
  value === null
    ? 'none'
    : typeof value === 'boolean'
      ? value
        ? 'on'
        : 'off'
      : typeof value === 'number'
        ? count(value)
        : words(value);

/** The text of an input for a value (empty for none). */
const draftOf = (value: Setting['value']): string => (value === null ? '' : String(value));

/** What the input's text sends: empty is null (where the setting takes none), numbers as numbers. */
function valueOf(kind: Kind, draft: string): unknown {
  const text = draft.trim();
  if (text === '' && kind.nullable) return null;
  if (kind.type === 'boolean') return text === 'true';
  if (kind.type === 'number') return text === '' ? '' : Number(text);
  return text;
}

export function SettingsScreen() {
  const { api } = useConsole();
  const settings = useResource(() => api.call(routes.listSettings), [api]);
  const segment = useResource(() => api.call(routes.segment), [api]);
  return (
    <>
      <ScreenTitle>Settings</ScreenTitle>
      <section aria-labelledby="segment-h" class="panel">
        <h2 id="segment-h">Inclusion segment</h2>
        <LoadError error={segment.error} status={segment.status} what="the segment" />
        {segment.data === undefined ? null : segment.data.segmentId === null ? (
          <p>No segment: every contact is in scope (set segmentId below to limit what syncs).</p>
        ) : (
          <p>
            HubSpot list <code>{segment.data.segmentId}</code>:{' '}
            <strong>
              {segment.data.members === null
                ? 'member count unknown'
                : `${count(segment.data.members)} members`}
            </strong>{' '}
            sync; contacts outside it stay out of scope.
          </p>
        )}
      </section>
      <LoadError error={settings.error} status={settings.status} what="the settings" />
      <TableWrap label="Settings">
        <table class="settings-table">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Description</th>
              <th scope="col">Default</th>
              <th scope="col">Current</th>
              <th scope="col">New value</th>
            </tr>
          </thead>
          <tbody>
            {(settings.data?.settings ?? []).map((s) => (
              <SettingRow
                key={s.key}
                setting={s}
                onSaved={() => {
                  settings.reload();
                  if (s.key === 'segmentId') segment.reload();
                }}
              />
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

function SettingRow(props: { setting: Setting; onSaved: () => void }) {
  const { api, announce } = useConsole();
  const { setting } = props;
  const kind = kindOf(setting.key);
  const [draft, setDraft] = useState(draftOf(setting.value));
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);
  const id = `setting-${setting.key}`;
  const errorId = `${id}-error`;

  const save = async () => {
    setBusy(true);
    const result = await api.call(routes.setSetting, {
      params: { key: setting.key },
      body: { value: valueOf(kind, draft) },
    });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    setDraft(draftOf(result.value.value));
    announce(`Saved ${setting.key} = ${shown(result.value.value)}.`);
    props.onSaved();
  };

  const common = {
    id,
    disabled: busy,
    'aria-invalid': failure === undefined ? undefined : true,
    'aria-describedby': failure === undefined ? `${id}-desc` : `${id}-desc ${errorId}`,
  } as const;

  return (
    <tr>
      <th scope="row">
        <code>{setting.key}</code>
      </th>
      <td class="message" id={`${id}-desc`}>
        {setting.description}
      </td>
      <td>{shown(setting.default)}</td>
      <td>
        <strong>{shown(setting.value)}</strong>
      </td>
      <td>
        <form
          class="setting-form"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <label class="visually-hidden" for={id}>
            New value of {setting.key}
          </label>
          {kind.type === 'enum' || kind.type === 'boolean' ? (
            <select {...common} value={draft} onChange={(event) => setDraft(event.currentTarget.value)}>
              {kind.nullable ? <option value="">none</option> : null}
              {(kind.type === 'enum' ? kind.options : ['true', 'false']).map((option) => (
                <option key={option} value={option}>
                  {kind.type === 'boolean' ? (option === 'true' ? 'on' : 'off') : words(option)}
                </option>
              ))}
            </select>
          ) : kind.type === 'number' ? (
            <input
              {...common}
              type="number"
              inputMode="numeric"
              value={draft}
              placeholder={kind.nullable ? 'none' : undefined}
              onInput={(event) => setDraft(event.currentTarget.value)}
            />
          ) : (
            <input
              {...common}
              type="text"
              value={draft}
              placeholder={kind.nullable ? 'none' : undefined}
              onInput={(event) => setDraft(event.currentTarget.value)}
            />
          )}
          <button type="submit" disabled={busy}>
            Save
          </button>
        </form>
        <ErrorNote id={errorId} error={failure} title={`${setting.key} not saved`} />
      </td>
    </tr>
  );
}
