/**
 * `crosswalk mappings add` and `crosswalk mappings remove` as a person runs them: `add` reads both
 * emulators' metadata (HubSpot contact properties, Salesforce describe of Lead and Contact) and saves
 * the mapping in the store that `mappings list` then reads.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crosswalk, emulatorEnv, killChildren } from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';

after(killChildren);

describe('crosswalk mappings add | remove', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sf = await startSalesforce({ seedCount: 10, seed: 9 });
    hs = await startHubSpot({ seedCount: 10, seed: 9 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-cli-mappings-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
  });

  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('add without configuration: exit 1 and one message listing every problem', async () => {
    const result = await crosswalk(['mappings', 'add', 'date_of_birth', 'Birthdate']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /configuration has 2 problem\(s\)/);
  });

  it("F2: add checks both systems' metadata and saves the mapping; list shows it; secrets never printed", async () => {
    const added = await crosswalk(
      ['mappings', 'add', 'date_of_birth', 'Birthdate', '--rule', 'two_way'],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^added: date_of_birth +⇄ Birthdate +Two-way +Contact {2}\(custom\)$/m);
    for (const secret of [sf.emulator.accessToken, hs.emulator.accessToken])
      assert.equal(added.stdout.includes(secret) || added.stderr.includes(secret), false);
    const list = await crosswalk(['mappings', 'list', '--data-dir', dir]);
    assert.match(list.stdout, /^date_of_birth +⇄ Birthdate +Two-way +Contact {2}\(custom\)$/m);
    assert.match(list.stdout, /^jobtitle +⇄ Title +Prefer Salesforce unless blank +Lead\/Contact$/m);
  });

  it('F2: add refuses a type pair outside the table, an unknown field and a taken field, with the fix', async () => {
    const types = await crosswalk(['mappings', 'add', 'lifecyclestage', 'Department'], env);
    assert.equal(types.code, 1);
    assert.match(
      types.stderr,
      /"lifecyclestage" \(select\) cannot map to Contact\.Department \(string\)\. A HubSpot select property maps to Salesforce picklist, reference fields/,
    );
    const unknown = await crosswalk(['mappings', 'add', 'mobilephone', 'Mobile__c'], env);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /Salesforce field "Mobile__c" exists on neither Lead nor Contact\. Use the field API name/,
    );
    const taken = await crosswalk(['mappings', 'add', 'mobilephone', 'Birthdate'], env);
    assert.equal(taken.code, 1);
    assert.match(
      taken.stderr,
      /Salesforce field "Birthdate" is already mapped to HubSpot property "date_of_birth"/,
    );
    const rule = await crosswalk(
      ['mappings', 'add', 'mobilephone', 'Department', '--rule', 'sometimes'],
      env,
    );
    assert.equal(rule.code, 1);
    assert.match(rule.stderr, /unknown rule "sometimes": use one of prefer_salesforce_unless_blank/);
  });

  it('F1: remove refuses a default mapping with the fix; removes a custom one', async () => {
    const refused = await crosswalk(['mappings', 'remove', 'jobtitle', '--data-dir', dir]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /jobtitle ⇄ Title is a default mapping and cannot be removed\. Set its rule to "Don't sync" instead\./,
    );
    const unknown = await crosswalk(['mappings', 'remove', 'no_such_property', '--data-dir', dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No mapping for HubSpot property "no_such_property"/);
    const removed = await crosswalk(['mappings', 'remove', 'date_of_birth', '--data-dir', dir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^removed: date_of_birth ⇄ Birthdate$/m);
    const list = await crosswalk(['mappings', 'list', '--data-dir', dir]);
    assert.equal(list.stdout.includes('date_of_birth'), false);
  });

  it('F11: mappings values shows the shipped Lead Status map, sets and removes entries checked against both systems, suggests, clears', async () => {
    const shown = await crosswalk(['mappings', 'values', 'hs_lead_status', '--data-dir', dir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^hs_lead_status ⇄ Status: value map \(Crosswalk's default\)$/m);
    assert.match(shown.stdout, /^ {2}ATTEMPTED_TO_CONTACT → Working - Contacted$/m);
    assert.match(shown.stdout, /^ {2}Working - Contacted → IN_PROGRESS$/m);

    const set = await crosswalk(
      ['mappings', 'values', 'hs_lead_status', 'set', 'CONNECTED', 'Working - Contacted', '--way-back'],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^hs_lead_status ⇄ Status: value map$/m);
    assert.match(set.stdout, /^ {2}Working - Contacted → CONNECTED$/m);
    const unknown = await crosswalk(
      ['mappings', 'values', 'hs_lead_status', 'set', 'LOST', 'Working - Contacted'],
      env,
    );
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /"LOST" is not an option of HubSpot hs_lead_status\. Use an internal value: NEW, OPEN/,
    );

    const removeBadTiming = () =>
      crosswalk(['mappings', 'values', 'hs_lead_status', 'remove', 'BAD_TIMING', '--data-dir', dir]);
    const removed = await removeBadTiming();
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(removed.stdout, /^ {2}BAD_TIMING →/m);
    const again = await removeBadTiming();
    assert.equal(again.code, 1);
    assert.match(again.stderr, /"BAD_TIMING" has no entry in the hs_lead_status ⇄ Status value map/);

    const notPicklist = await crosswalk(['mappings', 'values', 'jobtitle', 'suggest'], env);
    assert.equal(notPicklist.code, 1);
    assert.match(notPicklist.stderr, /jobtitle ⇄ Title cannot carry a value map/);
    const suggested = await crosswalk(['mappings', 'values', 'industry', 'suggest'], env);
    assert.equal(suggested.code, 0, suggested.stderr);
    assert.match(suggested.stdout, /nothing saved: run again with --apply/);
    const applied = await crosswalk(['mappings', 'values', 'industry', 'suggest', '--apply'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^saved$/m);
    const industry = await crosswalk(['mappings', 'values', 'industry', '--data-dir', dir]);
    assert.match(industry.stdout, /^industry ⇄ Industry: value map$/m);
    assert.match(suggested.stdout, /^ {2}\w+ → \w/m, 'industries pair by value or label');

    const cleared = await crosswalk(['mappings', 'values', 'hs_lead_status', 'clear', '--data-dir', dir]);
    assert.equal(cleared.code, 0, cleared.stderr);
    const none = await crosswalk(['mappings', 'values', 'hs_lead_status', '--data-dir', dir]);
    assert.match(none.stdout, /^hs_lead_status ⇄ Status: no value map \(values move by internal value\)$/m);
    const bad = await crosswalk(['mappings', 'values', 'hs_lead_status', 'rename', '--data-dir', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown action "rename": use show, set, remove, suggest, clear/);
  });
});
