/**
 * The Alerts screen's form (U3): a new alert — a JSON webhook, a Slack incoming webhook or e-mail
 * over SMTP — and the conditions it is told about. A secret (the URL, the SMTP password) is typed in
 * (the service seals it before it stores it) or named by environment variable; the page never shows
 * it again. The service checks the alert and its refusal, naming the field, is shown here.
 */
import { useState } from 'preact/hooks';
import { routes } from '../../api/contract.ts';
import { alertConditionLabels, alertConditions, type AlertCondition } from '../../core/alerts.ts';
import { ErrorNote } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import type { Failure } from '../api.ts';

type Kind = 'webhook' | 'slack' | 'email';
const kindNames: Readonly<Record<Kind, string>> = {
  webhook: 'JSON webhook',
  slack: 'Slack incoming webhook',
  email: 'E-mail (SMTP)',
};

/** A secret as the API takes it: the text typed, or `{ env }` when "from a variable" is chosen. */
const secret = (value: string, fromEnv: boolean) => (fromEnv ? { env: value.trim() } : value.trim());

export function AlertForm(props: { canSeal: boolean; onAdded: () => void }) {
  const { api, announce } = useConsole();
  const [id, setId] = useState('');
  const [kind, setKind] = useState<Kind>('webhook');
  const [url, setUrl] = useState('');
  const [fromEnv, setFromEnv] = useState(!props.canSeal);
  const [blocks, setBlocks] = useState(false);
  const [mail, setMail] = useState({ to: '', from: '', host: '', port: '587', user: '', password: '' });
  const [conditions, setConditions] = useState<readonly AlertCondition[]>(alertConditions);
  const [digest, setDigest] = useState(false);
  const [failure, setFailure] = useState<Failure['error']>();
  const [busy, setBusy] = useState(false);

  const body = (): Record<string, unknown> => {
    const common = { id: id.trim(), conditions, digest };
    if (kind !== 'email')
      return { kind, url: secret(url, fromEnv), ...(kind === 'slack' ? { blocks } : {}), ...common };
    return {
      kind,
      to: mail.to
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
      from: mail.from.trim(),
      host: mail.host.trim(),
      port: Number(mail.port),
      ...(mail.user.trim() ? { user: mail.user.trim() } : {}),
      ...(mail.password.trim() ? { password: secret(mail.password, fromEnv) } : {}),
      ...common,
    };
  };

  const add = async () => {
    setBusy(true);
    const result = await api.call(routes.addAlert, { body: body() });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    // The next alert starts afresh (the channel and where secrets come from stay as chosen).
    setId('');
    setUrl('');
    setMail((m) => ({ ...m, password: '' }));
    setBlocks(false);
    setDigest(false);
    setConditions(alertConditions);
    announce(`Added the alert ${result.value.alert.id}: ${result.value.alert.target}.`);
    props.onAdded();
  };

  const setMailField = (name: keyof typeof mail) => (value: string) =>
    setMail((m) => ({ ...m, [name]: value }));
  const mailField = (name: keyof typeof mail, label: string) => (
    <div class="field">
      <label for={`alert-${name}`}>{label}</label>
      <input
        id={`alert-${name}`}
        inputMode={name === 'port' ? 'numeric' : undefined}
        value={mail[name]}
        onInput={(e) => setMailField(name)(e.currentTarget.value)}
      />
    </div>
  );
  const secretLabel =
    kind === 'email' ? 'SMTP password' : kind === 'slack' ? 'Slack webhook URL' : 'Webhook URL';

  return (
    <section aria-labelledby="alert-add-h" class="panel">
      <h2 id="alert-add-h">Add an alert</h2>
      {props.canSeal ? null : (
        <p class="note note-warn">
          This Crosswalk has no <code>CROSSWALK_SECRET_KEY</code>, so it cannot seal a secret typed here: name
          the environment variable that holds it instead (<code>CROSSWALK_ALERT_…</code>).
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <div class="form-grid">
          <div class="field">
            <label for="alert-id">Alert id</label>
            <input
              id="alert-id"
              required
              placeholder="ops-slack"
              value={id}
              onInput={(e) => setId(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="alert-kind">Channel</label>
            <select id="alert-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
              {(Object.keys(kindNames) as Kind[]).map((k) => (
                <option key={k} value={k}>
                  {kindNames[k]}
                </option>
              ))}
            </select>
          </div>
          {kind === 'email' ? (
            <>
              {mailField('to', 'To (comma-separated)')}
              {mailField('from', 'From')}
              {mailField('host', 'SMTP host')}
              {mailField('port', 'SMTP port')}
              {mailField('user', 'SMTP user')}
              <div class="field">
                <label for="alert-password">{fromEnv ? `${secretLabel}: variable name` : secretLabel}</label>
                <SecretInput
                  id="alert-password"
                  fromEnv={fromEnv}
                  {...(fromEnv ? { placeholder: 'CROSSWALK_ALERT_SMTP_PASSWORD' } : {})}
                  value={mail.password}
                  onValue={setMailField('password')}
                />
              </div>
            </>
          ) : (
            <div class="field grow">
              <label for="alert-url">{fromEnv ? `${secretLabel}: variable name` : secretLabel}</label>
              <SecretInput
                id="alert-url"
                required
                fromEnv={fromEnv}
                placeholder={fromEnv ? 'CROSSWALK_ALERT_SLACK_URL' : 'https://…'}
                value={url}
                onValue={setUrl}
              />
            </div>
          )}
        </div>
        <div class="toolbar">
          <label class="check">
            <input type="checkbox" checked={fromEnv} onChange={(e) => setFromEnv(e.currentTarget.checked)} />
            The {kind === 'email' ? 'password' : 'URL'} is in an environment variable
          </label>
          {fromEnv ? (
            <span class="hint">
              named <code>CROSSWALK_ALERT_…</code>: an alert reads no other variable
            </span>
          ) : null}
          {kind === 'slack' ? (
            <label class="check">
              <input type="checkbox" checked={blocks} onChange={(e) => setBlocks(e.currentTarget.checked)} />
              Block Kit blocks
            </label>
          ) : null}
          <label class="check">
            <input type="checkbox" checked={digest} onChange={(e) => setDigest(e.currentTarget.checked)} />
            Daily digest
          </label>
        </div>
        <fieldset class="checks">
          <legend>Tell it when</legend>
          {alertConditions.map((c) => (
            <label class="check" key={c}>
              <input
                type="checkbox"
                checked={conditions.includes(c)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setConditions((list) => alertConditions.filter((x) => (x === c ? on : list.includes(x))));
                }}
              />
              {alertConditionLabels[c]}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy}>
          Add alert
        </button>
      </form>
      <ErrorNote error={failure} title="Alert not added" />
    </section>
  );
}

/** A secret's input: a variable's name in clear, or the secret itself hidden as it is typed. */
function SecretInput(props: {
  id: string;
  fromEnv: boolean;
  value: string;
  required?: boolean;
  placeholder?: string;
  onValue: (value: string) => void;
}) {
  const common = {
    id: props.id,
    autoComplete: 'off',
    required: props.required === true,
    placeholder: props.placeholder,
    value: props.value,
    onInput: (e: { currentTarget: HTMLInputElement }) => props.onValue(e.currentTarget.value),
  };
  return props.fromEnv ? <input type="text" {...common} /> : <input type="password" {...common} />;
}
