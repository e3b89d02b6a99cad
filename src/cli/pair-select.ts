/**
 * `--pair <id>`: which connection pair a command reads or changes. The `default` pair is today's single
 * pair, reached with the SALESFORCE_* and HUBSPOT_* options; any other is registered (`crosswalk pairs`)
 * and reached with the credentials its definition names (environment variables, or values sealed with
 * CROSSWALK_SECRET_KEY).
 */
import type { Command } from 'commander';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import { ok, type Result } from '../core/model.ts';
import type { Config } from '../config/options.ts';
import { findPair, pairConfigOf } from '../app/pairs.ts';
import type { StateStore } from '../store/state-store.ts';

/** Adds `--pair <id>` (default `default`). */
export function pairOption(command: Command): Command {
  return command.option(
    '--pair <id>',
    'the connection pair (`crosswalk pairs list`); the default pair is the one the SALESFORCE_* and HUBSPOT_* options configure',
    DEFAULT_PAIR,
  );
}

/** The pair `--pair` names, from the parsed flags. */
export function pairOf(flags: Readonly<Record<string, unknown>>): string {
  return typeof flags.pair === 'string' ? flags.pair : DEFAULT_PAIR;
}

/** The store bound to `pair`: `default` always; another pair only when it is registered. */
export async function pairStore(root: StateStore, pair: string): Promise<Result<StateStore>> {
  if (pair === DEFAULT_PAIR) return ok(root);
  const found = await findPair(root, pair);
  return found.ok ? ok(root.forPair(pair)) : found;
}

/** A registered pair's connection config (see `pairConfigOf`). */
export async function pairConfig(
  root: StateStore,
  pair: string,
  env: NodeJS.ProcessEnv,
  where: Pick<Config, 'dataDir' | 'databaseUrl'>,
): Promise<Result<Config>> {
  const found = await findPair(root, pair);
  return found.ok ? pairConfigOf(found.value, env, where) : found;
}
