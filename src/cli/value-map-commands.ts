/**
 * `crosswalk mappings values <hs-property> [set <hs> <sf> | remove <hs> | suggest | clear]`: a
 * mapping's value map (F11). Without an action it shows the map. `set` and `suggest` read both
 * systems' metadata (the values are checked against the property's options and the picklist's
 * values); `suggest` saves nothing unless `--apply` confirms it.
 */
import type { Command } from 'commander';
import type { ValueMapView } from '../app/value-map-ops.ts';
import * as valueMaps from '../app/value-map-ops.ts';
import { openService } from '../app/service.ts';
import { pairOf, pairOption } from './pair-select.ts';
import { connectionOptions, needed, pairConfigFrom, UsageError, withStore } from './sync-commands.ts';
import { previewCommand, previewing } from './preview-commands.ts';
import type { ValueMapChange } from '../app/preview-ops.ts';

type Out = (line: string) => void;

const ACTIONS = ['show', 'set', 'remove', 'suggest', 'clear'] as const;

function printMap(view: ValueMapView, out: Out): void {
  const name = `${view.hsProperty} ⇄ ${view.sfField}`;
  if (view.map === null) {
    out(`${name}: no value map (values move by internal value)`);
    return;
  }
  out(`${name}: value map${view.shipped ? " (Crosswalk's default)" : ''}`);
  const hs = Object.entries(view.map.toSalesforce);
  out(hs.length ? 'HubSpot → Salesforce' : 'HubSpot → Salesforce: no entry');
  for (const [from, to] of hs) out(`  ${from} → ${to}`);
  const sf = Object.entries(view.map.toHubSpot);
  out(sf.length ? 'Salesforce → HubSpot (the way back)' : 'Salesforce → HubSpot: no entry');
  for (const [from, to] of sf) out(`  ${from} → ${to}`);
}

/** Runs `use` with a service that reads metadata and writes the store (no writer lease). */
async function withMetadata<T>(
  flags: Record<string, unknown>,
  use: (service: Awaited<ReturnType<typeof openService>>) => Promise<T>,
): Promise<T> {
  const service = await openService(await pairConfigFrom(flags), { pair: pairOf(flags), lease: false });
  try {
    return await use(service);
  } finally {
    await service.stop();
  }
}

export function registerValueMapCommand(mappings: Command, out: Out): void {
  pairOption(
    connectionOptions(
      mappings
        .command('values')
        .description(
          "A mapping's value map (F11): show it, set or remove an entry, suggest one from both systems' values, or clear it.",
        ),
    ),
  )
    .argument('<hs-property>', 'the HubSpot property of the mapping (internal name)')
    .argument('[action]', ACTIONS.join(' | '), 'show')
    .argument('[values...]', 'set: <hubspot-value> <salesforce-value>; remove: <hubspot-value>')
    .option('--way-back', 'set: the Salesforce value writes this HubSpot value back, replacing its way back')
    .option('--apply', 'suggest: save the suggested map')
    .option(
      '--preview',
      'set, remove, clear, suggest --apply: show what the next sync cycle would do with the change, and change nothing',
    )
    .action(
      async (
        hsProperty: string,
        action: string,
        values: string[],
        flags: Record<string, unknown> & { wayBack?: boolean; apply?: boolean },
      ) => {
        const arity = (n: number, usage: string) => {
          if (values.length !== n)
            throw new UsageError(`usage: crosswalk mappings values ${hsProperty} ${usage}`);
        };
        const preview = (change: ValueMapChange) =>
          previewCommand(flags, { kind: 'value_map', hsProperty, change }, out);
        switch (action) {
          case 'show':
            arity(0, '');
            return printMap(
              needed(await withStore(flags, (store) => valueMaps.getValueMap(store, hsProperty))),
              out,
            );
          case 'set': {
            arity(2, 'set <hubspot-value> <salesforce-value> [--way-back]');
            const [hs, sf] = values as [string, string];
            if (previewing(flags)) return preview({ set: { hs, sf, wayBack: flags.wayBack === true } });
            const view = needed(
              await withMetadata(flags, (service) =>
                valueMaps.setValueMapEntry(service, hsProperty, { hs, sf, wayBack: flags.wayBack === true }),
              ),
            );
            out(`set: ${hs} → ${view.map?.toSalesforce[hs] ?? sf}`);
            return printMap(view, out);
          }
          case 'remove': {
            arity(1, 'remove <hubspot-value>');
            if (previewing(flags)) return preview({ remove: values[0]! });
            const view = needed(
              await withStore(flags, (store) => valueMaps.removeValueMapEntry(store, hsProperty, values[0]!)),
            );
            out(`removed: ${values[0]!}`);
            return printMap(view, out);
          }
          case 'suggest': {
            arity(0, 'suggest [--apply]');
            const apply = flags.apply === true;
            if (previewing(flags) && !apply)
              throw new UsageError('--preview previews a change: suggest --apply --preview');
            if (previewing(flags)) {
              const suggested = needed(
                await withMetadata(flags, (service) => valueMaps.suggestValueMapOf(service, hsProperty)),
              );
              return preview({ replace: suggested.map });
            }
            const suggested = needed(
              await withMetadata(flags, (service) =>
                valueMaps.suggestValueMapOf(service, hsProperty, { apply }),
              ),
            );
            printMap({ hsProperty, sfField: suggested.sfField, map: suggested.map, shipped: false }, out);
            if (suggested.unmatchedHubSpot.length)
              out(`HubSpot values left unpaired: ${suggested.unmatchedHubSpot.join(', ')}`);
            if (suggested.unmatchedSalesforce.length)
              out(`Salesforce values left unpaired: ${suggested.unmatchedSalesforce.join(', ')}`);
            out(
              apply
                ? 'saved'
                : 'nothing saved: run again with --apply to use this map, or set entries one by one',
            );
            return;
          }
          case 'clear':
            arity(0, 'clear');
            if (previewing(flags)) return preview({ clear: true });
            needed(await withStore(flags, (store) => valueMaps.clearValueMap(store, hsProperty)));
            out(`${hsProperty}: no value map (values move by internal value)`);
            return;
          default:
            throw new UsageError(`unknown action "${action}": use ${ACTIONS.join(', ')}`);
        }
      },
    );
}
