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
import type { PreviewAnswer } from '../../api/preview-contract.ts';
import { PreviewPanel } from '../ui/preview.tsx';

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

/** A setting's change under preview: the answer, and the value Apply saves. */
interface Previewed {
  readonly key: SettingKey;
  readonly value: unknown;
  readonly answer: PreviewAnswer;
}

export function SettingsScreen() {
  const { api } = useConsole();
  const settings = useResource(() => api.call(routes.listSettings), [api]);
  const segment = useResource(() => api.call(routes.segment), [api]);
  const [previewed, setPreviewed] = useState<Previewed | null>(null);
  const reloaded = (key: SettingKey) => {
    settings.reload();
    if (key === 'segmentId') segment.reload();
  };
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
      {previewed ? (
        <PreviewPanel
          key={`${previewed.key}-${String(previewed.value)}`}
          answer={previewed.answer}
          applyLabel={`Apply: save ${previewed.key}`}
          apply={async () => {
            const result = await api.call(routes.setSetting, {
              params: { key: previewed.key },
              body: { value: previewed.value },
            });
            if (!result.ok) return result.error;
            reloaded(previewed.key);
            return undefined;
          }}
          onClose={() => setPreviewed(null)}
        />
      ) : null}
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
                onSaved={() => reloaded(s.key)}
                onPreview={(value, answer) => setPreviewed({ key: s.key, value, answer })}
              />
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

function SettingRow(props: {
  setting: Setting;
  onSaved: () => void;
  onPreview: (value: unknown, answer: PreviewAnswer) => void;
}) {
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

  /** U1: what the next sync cycle would do with the new value; the panel above the table shows it. */
  const preview = async () => {
    setBusy(true);
    const value = valueOf(kind, draft);
    const result = await api.call(routes.preview, {
      body: { kind: 'setting', key: setting.key, value: value as string | number | boolean | null },
    });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    props.onPreview(value, result.value);
    announce(`Preview of ${setting.key} ready above the table.`);
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
          <button type="button" disabled={busy} onClick={() => void preview()}>
            Preview
          </button>
        </form>
        <ErrorNote id={errorId} error={failure} title={`${setting.key} not saved`} />
      </td>
    </tr>
  );
}
