/** Small shared pieces: badges, times, numbers, error notes, table wrappers, pagers, meters. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Failure } from '../api.ts';
import { count, fromNow, localTime, share, shortDateTime } from '../format.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

/** A status in words, with a colour and a symbol that repeat the words (never colour alone). */
export function Badge(props: { tone: Tone; children: ComponentChildren }) {
  const symbol = { ok: '✓', warn: '!', bad: '✕', info: 'i', neutral: '·' }[props.tone];
  return (
    <span class={`badge badge-${props.tone}`}>
      <span aria-hidden="true" class="badge-symbol">
        {symbol}
      </span>
      {props.children}
    </span>
  );
}

/**
 * A time in the browser's local time, with how long ago (or until) it is; `compact` (in tables): a
 * shorter date, and the hint on its own line.
 */
export function Time(props: { at: number | null | undefined; none?: string; compact?: boolean }) {
  if (props.at === null || props.at === undefined) return <span class="muted">{props.none ?? '—'}</span>;
  const iso = new Date(props.at).toISOString();
  if (props.compact)
    return (
      <time dateTime={iso} title={localTime(props.at)} class="time-compact">
        {shortDateTime(props.at)}
        <span class="muted">{fromNow(props.at)}</span>
      </time>
    );
  return (
    <time dateTime={iso} title={iso}>
      {localTime(props.at)} <span class="muted">({fromNow(props.at)})</span>
    </time>
  );
}

/** A code such as `FIELD_CUSTOM_VALIDATION_EXCEPTION`, which may break after its underscores. */
export function Code(props: { children: string }) {
  const parts = props.children.split('_');
  const children = parts.flatMap((part, i) => (i === 0 ? [part] : ['_', <wbr key={i} />, part]));
  return <code>{children}</code>;
}

/** A number with thousands separators. */
export const Num = (props: { value: number | null | undefined }) =>
  props.value === null || props.value === undefined ? (
    <span class="muted">—</span>
  ) : (
    <>{count(props.value)}</>
  );

/** An API refusal: what went wrong and the fix, word for word. */
export function ErrorNote(props: { error: Failure['error'] | undefined; id?: string; title?: string }) {
  if (props.error === undefined) return null;
  const { code, message, fix, field } = props.error;
  return (
    <div class="note note-bad" role="alert" id={props.id}>
      <p>
        <strong>{props.title ?? 'Refused'}</strong>
        {field === undefined ? '' : ` (${field})`}: {message}
      </p>
      <p>
        <span class="muted">Fix:</span> {fix} <code class="muted">{code}</code>
      </p>
    </div>
  );
}

/** A note for a route this service does not serve yet (404), or the failure itself. */
export function LoadError(props: {
  error: Failure['error'] | undefined;
  status: number | undefined;
  what: string;
}) {
  if (props.error === undefined) return null;
  if (props.status === 404 && props.error.code === 'not_found')
    return (
      <div class="note note-warn" role="status">
        <p>
          This Crosswalk does not serve {props.what} yet ({props.error.message}). Update the service to see
          it.
        </p>
      </div>
    );
  return <ErrorNote error={props.error} title={`Could not load ${props.what}`} />;
}

/** A table that scrolls sideways on a narrow screen (a focusable region, so keys scroll it too). */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** "Showing 101–200 of 1,234", with Previous and Next. */
export function Pager(props: {
  offset: number;
  limit: number;
  shown: number;
  total: number;
  onPage: (offset: number) => void;
  label: string;
}) {
  const { offset, limit, shown, total } = props;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" disabled={offset === 0} onClick={() => props.onPage(Math.max(0, offset - limit))}>
        ← Previous
      </button>
      <span aria-live="polite">
        {total === 0
          ? 'Nothing to show'
          : `Showing ${count(offset + 1)}–${count(offset + shown)} of ${count(total)}`}
      </span>
      <button type="button" disabled={offset + shown >= total} onClick={() => props.onPage(offset + limit)}>
        Next →
      </button>
    </nav>
  );
}

/** How much of something is used, as a bar with the numbers in words beside it. */
export function Meter(props: { used: number; max: number | null; label: string; warnAt?: number }) {
  const fraction = props.max === null || props.max <= 0 ? null : Math.min(1, props.used / props.max);
  const tone =
    fraction === null
      ? 'neutral'
      : fraction >= 1
        ? 'bad'
        : fraction >= (props.warnAt ?? 0.75)
          ? 'warn'
          : 'ok';
  const words =
    props.max === null
      ? `${props.label}: ${count(props.used)}`
      : `${props.label}: ${count(props.used)} of ${count(props.max)} (${share(fraction ?? 0)})`;
  return (
    <div class="meter">
      <svg class={`meter-bar meter-${tone}`} width="100%" height="10" role="img" aria-label={words}>
        <rect class="meter-track" x="0" y="0" width="100%" height="10" rx="5" />
        {fraction === null ? null : (
          <rect class="meter-fill" x="0" y="0" width={`${(fraction * 100).toFixed(2)}%`} height="10" rx="5" />
        )}
      </svg>
    </div>
  );
}

/** Whether a screen has opened since the page loaded. */
let opened = false;

/**
 * A heading that takes the focus when a screen opens from the nav or a link (so keyboard and
 * screen-reader users land on it). Two openings leave the focus alone: a fresh page's first screen
 * (the focus stays where a page starts, so Tab reaches the header and the nav first), and a screen
 * opened again by a select (the pair selector), whose arrow keys would otherwise stop after one step.
 */
export function ScreenTitle(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const first = !opened;
    opened = true;
    if (first || document.activeElement instanceof HTMLSelectElement) return;
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {props.children}
    </h1>
  );
}

/** A label and its value, in a definition list. */
export function Fact(props: { label: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}
