/** What every screen gets from the app: the API (for the selected pair) and the status line. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleApi } from '../api.ts';

export interface ConsoleContext {
  readonly api: ConsoleApi;
  /** Says `message` in the status line (an aria-live region): what an action did. */
  readonly announce: (message: string) => void;
  /** The selected pair's id (`default` when the service has one). */
  readonly pair: string;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const context = useContext(Console);
  if (context === null) throw new Error('useConsole outside <Console.Provider>');
  return context;
}
