/** The console's hooks: loading (and polling) an API answer, the hash route, an element's width. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ApiResult, Failure } from '../api.ts';

export interface Resource<T> {
  /** The last answer (kept while the next one loads, so polling never blanks the screen). */
  readonly data: T | undefined;
  /** Why the last call failed; undefined once one succeeds. */
  readonly error: Failure['error'] | undefined;
  /** The status of the last failure (404: a route this service does not have). */
  readonly status: number | undefined;
  readonly loading: boolean;
  /** Loads again now. */
  readonly reload: () => void;
}

/**
 * Loads `load()` when `deps` change, and again every `pollMs` (null: no polling) while the page is
 * visible: polling stops while `document.hidden` and resumes, with a load at once, when the page
 * shows again. Calls never overlap; an answer to a call of older `deps` is dropped.
 */
export function useResource<T>(
  load: () => Promise<ApiResult<T>>,
  deps: readonly unknown[],
  pollMs: number | null = null,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Failure['error'] | undefined>(undefined);
  const [status, setStatus] = useState<number | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      clearTimeout(timer);
      if (pollMs !== null && !document.hidden) timer = setTimeout(() => void run(), pollMs);
    };
    const run = async () => {
      if (inFlight) return;
      inFlight = true;
      setLoading(true);
      const result = await latest.current();
      inFlight = false;
      if (stopped) return;
      if (result.ok) {
        setData(result.value);
        setError(undefined);
        setStatus(undefined);
      } else {
        setError(result.error);
        setStatus(result.status);
      }
      setLoading(false);
      schedule();
    };
    const onVisibility = () => {
      if (pollMs === null) return;
      if (document.hidden) clearTimeout(timer);
      else void run();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // The caller's deps decide when to load afresh; `load` itself changes every render.
  }, [...deps, tick, pollMs]);

  return { data, error, status, loading, reload: () => setTick((n) => n + 1) };
}

export interface HashRoute {
  /** `#/runs/run-1?kind=import` → `['runs', 'run-1']`. */
  readonly path: readonly string[];
  readonly params: URLSearchParams;
}

export function parseHash(hash: string): HashRoute {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = text.split('?', 2);
  return {
    path: path
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeURIComponent(part)),
    params: new URLSearchParams(query),
  };
}

/** A hash for a screen and its parameters (empty values left out). */
export function hashOf(
  path: readonly string[],
  params: Record<string, string | number | undefined> = {},
): string {
  const query = new URLSearchParams(
    Object.entries(params).flatMap(([key, value]) =>
      value === undefined || value === '' ? [] : [[key, String(value)]],
    ),
  ).toString();
  return `#/${path.map(encodeURIComponent).join('/')}${query === '' ? '' : `?${query}`}`;
}

export function useHashRoute(): HashRoute {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return parseHash(hash);
}

/** Goes to `hash`, replacing the history entry (filters and pages) or adding one (opening things). */
export function navigate(hash: string, replace = false): void {
  if (replace) {
    history.replaceState(null, '', hash);
    dispatchEvent(new HashChangeEvent('hashchange'));
  } else location.hash = hash;
}

/** The width of an element, kept up to date (charts draw at their real size, so text stays legible). */
export function useWidth(ref: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (box && box.width > 0) setWidth(Math.floor(box.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
