/**
 * Sync errors: a card per category (click to filter), a paged table of the errors with the remote
 * message word for word and the fix, selection and Resync, CSV export, and a banner while automatic
 * retries are paused. The filters and the page live in the hash, so a filtered view can be linked.
 */
import { useState } from 'preact/hooks';
import { routes, type ErrorList } from '../../api/contract.ts';
import { errorCategories, type ErrorCategory } from '../../core/errors.ts';
import { count, directionName } from '../format.ts';
import { Badge, Code, ErrorNote, LoadError, Pager, ScreenTitle, TableWrap, Time } from '../ui/bits.tsx';
import { useConsole } from '../ui/context.ts';
import { hashOf, navigate, useResource } from '../ui/hooks.ts';
import type { Failure } from '../api.ts';

const PAGE = 100;
type Direction = 'to_hubspot' | 'to_salesforce';
type Resynced = { resynced: number; failed: readonly { record: string; why: string }[] };

interface Filters {
  readonly category: ErrorCategory | undefined;
  readonly direction: Direction | undefined;
  readonly q: string;
  readonly offset: number;
}

function filtersOf(params: URLSearchParams): Filters {
  const category = params.get('category') ?? '';
  const direction = params.get('direction') ?? '';
  const offset = Number(params.get('offset') ?? 0);
  return {
    category: (errorCategories as readonly string[]).includes(category)
      ? (category as ErrorCategory)
      : undefined,
    direction: direction === 'to_hubspot' || direction === 'to_salesforce' ? direction : undefined,
    q: params.get('q') ?? '',
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

const go = (filters: Filters) =>
  navigate(
    hashOf(['errors'], {
      category: filters.category,
      direction: filters.direction,
      q: filters.q,
      offset: filters.offset || undefined,
    }),
    true,
  );

export function ErrorsScreen(props: { params: URLSearchParams }) {
  const { api, announce } = useConsole();
  const filters = filtersOf(props.params);
  const { category, direction, q, offset } = filters;
  const query = { category, direction, q: q === '' ? undefined : q };
  const list = useResource(
    () => api.call(routes.listErrors, { query: { ...query, limit: PAGE, offset } }),
    [api, category, direction, q, offset],
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure['error']>();
  const [resynced, setResynced] = useState<Resynced>();
  const [search, setSearch] = useState(q);

  const data = list.data;
  const records = [...new Set((data?.errors ?? []).map((e) => e.record))];
  const allSelected = records.length > 0 && records.every((r) => selected.has(r));
  const toggle = (record: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(record);
    else next.delete(record);
    setSelected(next);
  };

  const resync = async () => {
    setBusy(true);
    const result = await api.call(routes.resyncErrors, { body: { records: [...selected] } });
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(undefined);
    setResynced(result.value);
    setSelected(new Set());
    const { resynced: n, failed } = result.value;
    announce(
      `Resynced ${count(n)} record${n === 1 ? '' : 's'}${failed.length === 0 ? '' : `; ${count(failed.length)} still failing`}.`,
    );
    list.reload();
  };

  const exportCsv = async () => {
    const path = api.pathOf(routes.listErrors, { query: { ...query, format: 'csv' } });
    const result = await api.download(path);
    if (!result.ok) return setFailure(result.error);
    const url = URL.createObjectURL(result.value);
    const link = document.createElement('a');
    link.href = url;
    link.download = `crosswalk-errors${category === undefined ? '' : `-${category}`}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    announce('Exported the errors as CSV.');
  };

  return (
    <>
      <ScreenTitle>Sync errors</ScreenTitle>
      {data?.retriesPaused ? (
        <div class="note note-warn" role="status">
          <strong>Automatic retries are paused.</strong> {data.retriesPaused}
        </div>
      ) : null}
      <LoadError error={list.error} status={list.status} what="the errors" />
      {data === undefined ? null : <Categories byCategory={data.byCategory} filters={filters} />}

      <form
        class="filters"
        role="search"
        aria-label="Filter errors"
        onSubmit={(event) => {
          event.preventDefault();
          go({ ...filters, q: search.trim(), offset: 0 });
        }}
      >
        <div class="field">
          <label for="errors-direction">Direction</label>
          <select
            id="errors-direction"
            value={direction ?? ''}
            onChange={(event) =>
              go({
                ...filters,
                direction: (event.currentTarget.value || undefined) as Direction | undefined,
                offset: 0,
              })
            }
          >
            <option value="">Both directions</option>
            <option value="to_hubspot">{directionName('to_hubspot')}</option>
            <option value="to_salesforce">{directionName('to_salesforce')}</option>
          </select>
        </div>
        <div class="field">
          <label for="errors-q">Record or email contains</label>
          <input
            id="errors-q"
            type="search"
            maxLength={200}
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Search</button>
        {category === undefined && direction === undefined && q === '' ? null : (
          <button
            type="button"
            class="link"
            onClick={() => (
              setSearch(''),
              go({ category: undefined, direction: undefined, q: '', offset: 0 })
            )}
          >
            Clear filters
          </button>
        )}
        <span class="spacer" />
        <button type="button" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </form>

      <div class="toolbar">
        <button
          type="button"
          class="primary"
          disabled={selected.size === 0 || busy}
          onClick={() => void resync()}
        >
          Resync selected{selected.size === 0 ? '' : ` (${count(selected.size)})`}
        </button>
        <span class="muted">Fix the cause first (each error says how), then resync.</span>
      </div>
      <ErrorNote error={failure} />
      {resynced === undefined || resynced.failed.length === 0 ? null : (
        <div class="note note-warn">
          <p>Still failing after the resync:</p>
          <ul>
            {resynced.failed.map((f) => (
              <li key={f.record}>
                <code>{f.record}</code>: {f.why}
              </li>
            ))}
          </ul>
        </div>
      )}

      {data === undefined ? null : (
        <>
          <TableWrap label="Errors">
            <table class="errors-table">
              <caption class="visually-hidden">
                Errors{category === undefined ? '' : ` in ${category}`}, {count(data.total)} in all
              </caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every record on this page"
                      checked={allSelected}
                      disabled={records.length === 0}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(records) : new Set())}
                    />
                  </th>
                  <th scope="col">Record and object</th>
                  <th scope="col">Email</th>
                  <th scope="col">Direction</th>
                  <th scope="col">Category</th>
                  <th scope="col">Remote code</th>
                  <th scope="col">Message (word for word) and fix</th>
                  <th scope="col">First / last seen</th>
                  <th scope="col">Attempts, next retry</th>
                </tr>
              </thead>
              <tbody>
                {data.errors.length === 0 ? (
                  <tr>
                    <td colSpan={9} class="empty">
                      No errors
                      {category === undefined && direction === undefined && q === ''
                        ? ''
                        : ' match these filters'}
                      .
                    </td>
                  </tr>
                ) : (
                  data.errors.map((e) => (
                    <tr key={`${e.record}-${e.direction}-${e.code}`}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${e.record}`}
                          checked={selected.has(e.record)}
                          onChange={(event) => toggle(e.record, event.currentTarget.checked)}
                        />
                      </td>
                      <td>
                        <code>{e.record}</code>
                        <span class="sub">{e.object}</span>
                      </td>
                      <td class="email">
                        {e.email === null ? (
                          <span class="muted">none</span>
                        ) : (
                          <a href={hashOf(['contact'], { email: e.email })}>{e.email}</a>
                        )}
                      </td>
                      <td class="nowrap">{e.direction === 'to_hubspot' ? 'To HubSpot' : 'To Salesforce'}</td>
                      <td>{data.byCategory.find((c) => c.category === e.category)?.label ?? e.category}</td>
                      <td class="code">
                        <Code>{e.code}</Code>
                      </td>
                      <td class="message">
                        <q class="remote">{e.message}</q>
                        <span class="fix">
                          <strong>Fix:</strong> {e.fix}
                        </span>
                      </td>
                      <td class="nowrap">
                        <span class="sub">first</span>
                        <Time compact at={e.firstSeen} />
                        <span class="sub">last</span>
                        <Time compact at={e.lastSeen} />
                      </td>
                      <td class="nowrap">
                        {count(e.attempts)} attempt{e.attempts === 1 ? '' : 's'}
                        <span class="sub">next</span>
                        <Time compact at={e.nextAttempt} />
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </TableWrap>
          <Pager
            label="Errors"
            offset={offset}
            limit={PAGE}
            shown={data.errors.length}
            total={data.total}
            onPage={(next) => go({ ...filters, offset: next })}
          />
        </>
      )}
    </>
  );
}

function Categories(props: { byCategory: ErrorList['byCategory']; filters: Filters }) {
  const { byCategory, filters } = props;
  if (byCategory.length === 0)
    return (
      <p>
        <Badge tone="ok">No errors</Badge> Every record that Crosswalk tried went through.
      </p>
    );
  return (
    <ul class="category-cards" aria-label="Errors by category">
      {byCategory.map((c) => {
        const active = filters.category === c.category;
        return (
          <li key={c.category}>
            <button
              type="button"
              class="category-card"
              aria-pressed={active}
              onClick={() => go({ ...filters, category: active ? undefined : c.category, offset: 0 })}
            >
              <span class="category-name">{c.label}</span>
              <span class="category-counts">
                <strong>{count(c.count)}</strong> error{c.count === 1 ? '' : 's'} ·{' '}
                <strong>{count(c.records)}</strong> record{c.records === 1 ? '' : 's'}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
