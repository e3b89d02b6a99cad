/**
 * Contact ("why"): find a contact by email, HubSpot id or Salesforce id; its link and history, scope,
 * each mapped field's values and decision, opt-out, the timeline of what Crosswalk wrote, its errors,
 * and Resync.
 */
import { useState } from 'preact/hooks';
import { routes, type ContactView } from '../../api/contract.ts';
import { count, directionName, ruleName, systemName, words } from '../format.ts';
import { Badge, ErrorNote, Fact, LoadError, ScreenTitle, TableWrap, Time, type Tone } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, navigate, useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';

type Lookup = { email: string } | { hsContactId: string } | { sfId: string };

/** What was typed: an `@` is an email, digits a HubSpot id, anything else a Salesforce id. */
export function lookupOf(text: string): Lookup | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (value.includes('@')) return { email: value };
  if (/^\d+$/.test(value)) return { hsContactId: value };
  return { sfId: value };
}

function lookupFrom(params: URLSearchParams): Lookup | undefined {
  const email = params.get('email');
  const hsContactId = params.get('hsContactId');
  const sfId = params.get('sfId');
  if (email) return { email };
  if (hsContactId) return { hsContactId };
  if (sfId) return { sfId };
  return undefined;
}

export function ContactScreen(props: { params: URLSearchParams }) {
  const lookup = lookupFrom(props.params);
  const shown = lookup === undefined ? '' : (Object.values(lookup)[0] ?? '');
  const [text, setText] = useState(shown);
  return (
    <>
      <ScreenTitle>Contact</ScreenTitle>
      <form
        class="filters"
        role="search"
        aria-label="Find a contact"
        onSubmit={(event) => {
          event.preventDefault();
          const next = lookupOf(text);
          if (next !== undefined) navigate(hashOf(['contact'], next));
        }}
      >
        <div class="field grow">
          <label for="contact-q">Email, HubSpot contact id or Salesforce id</label>
          <input
            id="contact-q"
            type="search"
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
            placeholder="ada@example.com, 1234, 00Q…"
            aria-describedby="contact-q-hint"
          />
        </div>
        <button type="submit" class="primary">
          Show
        </button>
      </form>
      <p id="contact-q-hint" class="hint">
        With an @ it is an email; digits only, a HubSpot id; anything else, a Salesforce id.
      </p>
      {lookup === undefined ? (
        <p class="muted">Look a contact up to see why it synced the way it did.</p>
      ) : (
        <ContactDetails key={JSON.stringify(lookup)} lookup={lookup} />
      )}
    </>
  );
}

const actionTone: Record<ContactView['fields'][number]['action'], Tone> = {
  none: 'neutral',
  to_hubspot: 'info',
  to_salesforce: 'info',
  skipped: 'warn',
  error: 'bad',
};
const actionWords = (action: ContactView['fields'][number]['action']) =>
  action === 'to_hubspot'
    ? 'write to HubSpot'
    : action === 'to_salesforce'
      ? 'write to Salesforce'
      : words(action);

/**
 * Whether a side's value moved away from what both last agreed on: the change the next sync decides.
 * The owner's two sides are different ids by design (F6), so they are never compared.
 */
const changed = (f: { hsProperty: string; agreed: string | null }, side: string | null) =>
  f.agreed !== null && f.hsProperty !== 'hubspot_owner_id' && side !== f.agreed;

const value = (v: string | null) => (v === null ? <span class="muted">empty</span> : v);
const bool = (v: boolean | null) => (v === null ? 'unknown' : v ? 'opted out' : 'subscribed');

function ContactDetails(props: { lookup: Lookup }) {
  const { api, announce } = useConsole();
  const view = useResource(() => api.call(routes.contact, { query: props.lookup }), [api]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure['error']>();
  const data = view.data;
  if (data === undefined)
    return view.error ? (
      <LoadError error={view.error} status={view.status} what="this contact" />
    ) : (
      <p class="muted">Loading…</p>
    );
  const { contact } = data;

  const resync = async () => {
    const target =
      contact.email !== null
        ? { email: contact.email }
        : contact.hsContactId !== null
          ? { hsContactId: contact.hsContactId }
          : undefined;
    if (target === undefined) return;
    setBusy(true);
    const result = await api.call(routes.resync, { body: target });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    const r = result.value.report;
    announce(`Resynced: ${count(r.synced)} synced, ${count(r.failed)} failed (run ${r.runId}).`);
    view.reload();
  };

  return (
    <>
      {view.error ? <LoadError error={view.error} status={view.status} what="this contact" /> : null}
      <section class="panel" aria-labelledby="contact-h">
        <div class="card-head">
          <h2 id="contact-h">{contact.email ?? contact.hsContactId ?? contact.sfId}</h2>
          <Badge tone={data.scope.inScope ? 'ok' : 'warn'}>
            {data.scope.inScope ? 'In scope' : 'Out of scope'}
          </Badge>
        </div>
        <dl class="facts facts-wide">
          <Fact label="Email">{value(contact.email)}</Fact>
          <Fact label="HubSpot contact">{value(contact.hsContactId)}</Fact>
          <Fact label="Salesforce record">
            {contact.sfId === null ? value(null) : `${contact.sfObject ?? ''} ${contact.sfId}`}
          </Fact>
          <Fact label="Link">
            {data.link === null ? (
              <span class="muted">not linked</span>
            ) : (
              <>
                {data.link.sfObject} {data.link.sfId}, last synced <Time at={data.link.lastSyncedAt} />
              </>
            )}
          </Fact>
          <Fact label="Scope">{data.scope.why}</Fact>
          <Fact label="Last sync">
            <Time at={data.lastSync.at} /> — {words(data.lastSync.outcome)}: {data.lastSync.why}
          </Fact>
          <Fact label="Opt-out">
            HubSpot: {bool(data.optOut.hubspot)}; Salesforce: {bool(data.optOut.salesforce)}; last agreed:{' '}
            {bool(data.optOut.agreed)}. {data.optOut.why}
          </Fact>
        </dl>
        <div class="toolbar">
          <button
            type="button"
            class="primary"
            disabled={busy || (contact.email === null && contact.hsContactId === null)}
            onClick={() => void resync()}
          >
            Resync this contact
          </button>
          {contact.email === null && contact.hsContactId === null ? (
            <span class="muted">Resync needs an email or a HubSpot contact.</span>
          ) : null}
        </div>
        <ErrorNote error={failure} />
      </section>

      {data.live.hubspot && data.live.salesforce ? null : (
        <p class="note note-warn">
          Values could not be read live from every system: {data.live.why ?? 'unknown reason'}.
        </p>
      )}

      <section aria-labelledby="fields-h">
        <h2 id="fields-h">Fields</h2>
        <TableWrap label="Fields and decisions">
          <table>
            <thead>
              <tr>
                <th scope="col">HubSpot property ⇄ Salesforce field</th>
                <th scope="col">HubSpot value</th>
                <th scope="col">Salesforce value</th>
                <th scope="col">Last agreed</th>
                <th scope="col">Rule</th>
                <th scope="col">Decision</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {data.fields.map((f) => (
                <tr key={f.hsProperty}>
                  <th scope="row">
                    <code>{f.hsProperty}</code>
                    <span class="sub">
                      <span aria-hidden="true">⇄ </span>
                      <span class="visually-hidden">mapped to </span>
                      <code>{f.sfField}</code>
                    </span>
                  </th>
                  <td class={`value${changed(f, f.hubspot) ? ' differs' : ''}`}>
                    {value(f.hubspot)}
                    {changed(f, f.hubspot) ? (
                      <span class="visually-hidden"> (changed since last agreed)</span>
                    ) : null}
                  </td>
                  <td class={`value${changed(f, f.salesforce) ? ' differs' : ''}`}>
                    {value(f.salesforce)}
                    {changed(f, f.salesforce) ? (
                      <span class="visually-hidden"> (changed since last agreed)</span>
                    ) : null}
                  </td>
                  <td class="value">{value(f.agreed)}</td>
                  <td class="rule">{ruleName(f.rule)}</td>
                  <td>
                    <Badge tone={actionTone[f.action]}>{actionWords(f.action)}</Badge>
                  </td>
                  <td class="message">{f.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>

      <section aria-labelledby="errors-h">
        <h2 id="errors-h">Errors</h2>
        {data.errors.length === 0 ? (
          <p>
            <Badge tone="ok">none</Badge>
          </p>
        ) : (
          <ul class="plain">
            {data.errors.map((e) => (
              <li key={`${e.direction}-${e.code}`} class="note note-bad">
                <strong>{directionName(e.direction)}</strong> <code>{e.code}</code>: {e.message}
                <br />
                <span class="muted">Fix:</span> {e.fix}{' '}
                <span class="muted">
                  ({count(e.attempts)} attempts; next <Time at={e.nextAttempt} />)
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <Audit
          entries={data.timeline}
          label="Values written, newest first"
          empty="Crosswalk has written nothing for this contact yet."
        />
      </section>

      <section aria-labelledby="links-h">
        <h2 id="links-h">Link history</h2>
        <Audit entries={data.linkHistory} label="Link changes, newest first" empty="No link changes." />
      </section>
    </>
  );
}

/** Audit entries: when, which system, the field, before → after, the run that wrote it, and why. */
export function Audit(props: {
  entries: ContactView['timeline'];
  label: string;
  empty: string;
  showRecord?: boolean;
}) {
  if (props.entries.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <TableWrap label={props.label}>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            {props.showRecord ? <th scope="col">Record</th> : null}
            <th scope="col">System</th>
            <th scope="col">Field</th>
            <th scope="col">Before → after</th>
            <th scope="col">Run</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e, i) => (
            <tr key={`${e.at}-${e.field}-${i}`}>
              <td class="nowrap">
                <Time compact at={e.at} />
              </td>
              {props.showRecord ? (
                <td>
                  <code>{e.record}</code>
                </td>
              ) : null}
              <td>{systemName(e.system)}</td>
              <td>
                <code>{e.field}</code>
              </td>
              <td>
                {value(e.oldValue)} <span aria-hidden="true">→</span>
                <span class="visually-hidden">changed to</span> {value(e.newValue)}
              </td>
              <td>
                <a href={hashOf(['runs', e.runId])}>{e.runId}</a>
              </td>
              <td class="message">
                {e.why}
                {e.changedBy === undefined ? null : (
                  <span class="sub">changed last before this write by {e.changedBy}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
