/**
 * The console's frame: the header (pair selector, API token), the nav of the eight screens (hash
 * routes such as `#/overview`), the status line, and the screen of the current route. When the API
 * answers 401 the screen gives way to the token form; the token is kept in `sessionStorage`.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { routes, type PairView } from '../api/contract.ts';
import { createConsoleApi } from './api.ts';
import { Console } from './ui/context.ts';
import { hashOf, navigate, useHashRoute } from './ui/hooks.ts';
import { OverviewScreen } from './screens/overview.tsx';
import { ErrorsScreen } from './screens/errors.tsx';
import { ContactScreen } from './screens/contact.tsx';
import { MappingsScreen } from './screens/mappings.tsx';
import { SettingsScreen } from './screens/settings.tsx';
import { RunsScreen } from './screens/runs.tsx';
import { ImportsScreen } from './screens/imports.tsx';
import { AlertsScreen } from './screens/alerts.tsx';
import { TokenForm } from './token-form.tsx';

const TOKEN_KEY = 'crosswalk.apiToken';
const PAIR_KEY = 'crosswalk.pair';

export const screens = [
  ['overview', 'Overview'],
  ['errors', 'Sync errors'],
  ['contact', 'Contact'],
  ['mappings', 'Mappings'],
  ['settings', 'Settings'],
  ['runs', 'Runs'],
  ['imports', 'Imports'],
  ['alerts', 'Alerts'],
] as const;
type Screen = (typeof screens)[number][0];

const stored = (key: string): string | undefined => sessionStorage.getItem(key) ?? undefined;

export function App() {
  const route = useHashRoute();
  const [token, setToken] = useState(() => stored(TOKEN_KEY));
  const [needsToken, setNeedsToken] = useState(false);
  const [pairs, setPairs] = useState<readonly PairView[]>([]);
  // Screens wait for the pair list, so that with several pairs they load the chosen pair's data only.
  const [pairsKnown, setPairsKnown] = useState(false);
  const [pair, setPair] = useState(() => stored(PAIR_KEY));
  const [message, setMessage] = useState('');

  // One pair: the default routes (`/api/settings`); several: the chosen pair's (`/api/pairs/x/…`).
  const pairParam = pairs.length > 1 ? pair : undefined;
  const api = useMemo(
    () => createConsoleApi({ token, pair: pairParam, onUnauthorized: () => setNeedsToken(true) }),
    [token, pairParam],
  );

  useEffect(() => {
    let stale = false;
    void api.call(routes.listPairs).then((result) => {
      if (stale) return;
      setPairsKnown(true);
      if (!result.ok) return;
      const list = result.value.pairs;
      setPairs(list);
      if (list.length > 1 && !list.some((p) => p.id === pair)) setPair(list[0]?.id);
    });
    return () => {
      stale = true;
    };
    // Pairs change rarely: load them when the token changes (a 401 before it).
  }, [token]);

  useEffect(() => {
    if (message === '') return;
    const timer = setTimeout(() => setMessage(''), 12_000);
    return () => clearTimeout(timer);
  }, [message]);

  const screen: Screen = screens.find(([id]) => id === route.path[0])?.[0] ?? 'overview';
  useEffect(() => {
    if (route.path.length === 0) navigate(hashOf(['overview']), true);
  }, [route.path.length]);
  useEffect(() => {
    const title = screens.find(([id]) => id === screen)?.[1] ?? 'Overview';
    document.title = `${title} · Crosswalk`;
    // What an action did concerns its screen: another screen starts with a clear status line.
    setMessage('');
  }, [screen]);

  const context = useMemo(
    () => ({ api, announce: setMessage, pair: pairParam ?? pairs[0]?.id ?? 'default' }),
    [api, pairParam, pairs],
  );

  return (
    <Console.Provider value={context}>
      <header class="top">
        <div class="top-inner">
          <a class="brand" href={hashOf(['overview'])}>
            <svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true" class="brand-mark">
              <path d="M3 7h12l-3-3M19 15H7l3 3" />
            </svg>
            Crosswalk
          </a>
          {pairs.length > 1 ? (
            <div class="pair-select">
              <label for="pair">Connection pair</label>
              <select
                id="pair"
                value={pair}
                onChange={(event) => {
                  const next = event.currentTarget.value;
                  sessionStorage.setItem(PAIR_KEY, next);
                  setPair(next);
                }}
              >
                {pairs.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name === p.id ? p.id : `${p.name} (${p.id})`}
                    {p.enabled ? '' : ' — disabled'}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {token === undefined ? null : (
            <button
              type="button"
              class="link top-action"
              onClick={() => {
                sessionStorage.removeItem(TOKEN_KEY);
                setToken(undefined);
                setMessage('The API token is forgotten in this tab.');
              }}
            >
              Forget API token
            </button>
          )}
        </div>
        <nav aria-label="Screens" class="nav">
          <ul>
            {screens.map(([id, label]) => (
              <li key={id}>
                <a href={hashOf([id])} aria-current={id === screen ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main">
        <div class="status-line" role="status" aria-live="polite">
          {message}
        </div>
        {needsToken ? (
          <TokenForm
            hadToken={token !== undefined}
            onToken={(next) => {
              sessionStorage.setItem(TOKEN_KEY, next);
              setToken(next);
              setNeedsToken(false);
              setMessage('Signed in with the API token for this tab.');
            }}
          />
        ) : pairsKnown ? (
          <Screen key={`${screen}-${pairParam ?? ''}-${token ?? ''}`} screen={screen} route={route} />
        ) : (
          <p class="muted">Loading…</p>
        )}
      </main>
      <footer class="foot">
        <p>
          Every number here comes from the JSON API (<code>/api/…</code>); the CLI shows the same (
          <code>crosswalk --help</code>).
        </p>
      </footer>
    </Console.Provider>
  );
}

function Screen(props: { screen: Screen; route: ReturnType<typeof useHashRoute> }): ComponentChildren {
  const { path, params } = props.route;
  switch (props.screen) {
    case 'overview':
      return <OverviewScreen />;
    case 'errors':
      return <ErrorsScreen params={params} />;
    case 'contact':
      return <ContactScreen key={params.toString()} params={params} />;
    case 'mappings':
      return <MappingsScreen />;
    case 'settings':
      return <SettingsScreen />;
    case 'runs':
      return <RunsScreen key={path[1] ?? ''} path={path} params={params} />;
    case 'imports':
      return <ImportsScreen />;
    case 'alerts':
      return <AlertsScreen />;
  }
}
