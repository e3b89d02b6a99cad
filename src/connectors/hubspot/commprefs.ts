/**
 * HubSpot communication preferences (SPEC O1): unsubscribe from all email, one contact at a time or
 * in v4 batches of 100. The client has no method for v4, so these go through `transport.raw`.
 *
 * Terms: the **batch** endpoint needs Marketing Hub Enterprise's batch scopes; a portal without them
 * answers 403 MISSING_SCOPES, and from then on this connector sends **one call per email**. Emails
 * are matched back case-insensitively; each distinct email is sent once and its repeats share its
 * outcome. The batches of one call go out several at once (`transport.inFlight`). There is no
 * resubscribe.
 */
import type { WriteOutcome } from '../ports.ts';
import { failureOutcome, httpFailure, text } from './failures.ts';
import { BATCH_MAX, chunks, lowerEmail, writeOne, writeWaves } from './batches.ts';
import type { HubSpotTransport } from './transport.ts';

export class CommunicationPreferences {
  /** Set once the portal refused the v4 batch for missing scopes: one call per email from then on. */
  #batchRefused = false;

  constructor(private readonly transport: HubSpotTransport) {}

  unsubscribeAll(email: string): Promise<WriteOutcome> {
    return writeOne(this.transport, 'unsubscribe from all email', email, () =>
      this.transport.raw(
        'POST',
        `/communication-preferences/v4/statuses/${encodeURIComponent(email.trim())}/unsubscribe-all`,
        { channel: 'EMAIL' },
      ),
    );
  }

  async unsubscribeAllMany(emails: readonly string[]): Promise<WriteOutcome[]> {
    // Each distinct email (case-insensitively) is sent once; repeats share its outcome.
    const distinct = new Map<string, string>();
    for (const email of emails) {
      const key = lowerEmail(email);
      if (!distinct.has(key)) distinct.set(key, email);
    }
    // Distinct emails: every chunk of the call may be in flight at once (one wave).
    const unique = [...distinct.values()];
    const results = await writeWaves(
      this.transport,
      'batch unsubscribe from all email',
      unique,
      [chunks([...unique.keys()], BATCH_MAX)],
      (part) => this.#unsubscribeChunk(part),
    );
    const outcomes = new Map<string, WriteOutcome>();
    unique.forEach((email, i) => outcomes.set(lowerEmail(email), results[i]!));
    return emails.map((email) => {
      const outcome = outcomes.get(lowerEmail(email))!;
      return outcome.ok ? { ok: true, id: email } : outcome;
    });
  }

  /** One call per email, one at a time: the chunks of the call are what is in flight at once. */
  async #unsubscribeEach(emails: readonly string[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    for (const email of emails) out.push(await this.unsubscribeAll(email));
    return out;
  }

  /**
   * One v4 batch call (≤ 100 distinct emails). Results and errors are matched back by email,
   * case-insensitively (`batchOutcomes`); a 403 MISSING_SCOPES switches the connector to one call per
   * email for good.
   */
  async #unsubscribeChunk(emails: readonly string[]): Promise<WriteOutcome[]> {
    if (this.#batchRefused) return this.#unsubscribeEach(emails);
    let response: unknown;
    try {
      response = await this.transport.attempt('batch unsubscribe from all email', false, () =>
        this.transport.raw(
          'POST',
          '/communication-preferences/v4/statuses/batch/unsubscribe-all',
          // verbose: every email unsubscribed gets its result with its statuses, whatever HubSpot
          // leaves out of the short answer.
          { channel: 'EMAIL', verbose: 'true' },
          { inputs: emails.map((e) => e.trim()) },
        ),
      );
    } catch (error) {
      const failure = httpFailure(error);
      if (failure?.status === 403 && text(failure.body.category) === 'MISSING_SCOPES') {
        this.#batchRefused = true;
        return this.#unsubscribeEach(emails);
      }
      throw error;
    }
    return batchOutcomes(emails, response);
  }
}

/**
 * One outcome per email of a v4 batch answer, as HubSpot documents it
 * (`BatchResponsePublicBulkOptOutFromAllResponse`): 200 with `status` (`COMPLETE` once done),
 * `results[]` of `{subscriberIdString, statuses?}` for the emails unsubscribed, and `errors[]`
 * (StandardError, `numErrors` of them) naming failed emails in their `context`. An email is done only
 * when a result names it; one an error names fails with that error; one neither names fails too (an
 * unsubscribe is safe to send again, a lost one is not).
 */
function batchOutcomes(emails: readonly string[], response: unknown): WriteOutcome[] {
  const body = (typeof response === 'object' && response !== null ? response : {}) as Record<string, unknown>;
  const wanted = new Set(emails.map(lowerEmail));
  const byEmail = new Map<string, WriteOutcome>();
  for (const result of Array.isArray(body.results) ? (body.results as Record<string, unknown>[]) : []) {
    const email = lowerEmail(text(result.subscriberIdString));
    if (wanted.has(email)) byEmail.set(email, { ok: true, id: email });
  }
  for (const error of Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : []) {
    const outcome = failureOutcome(error);
    const context = (error.context ?? {}) as Record<string, unknown>;
    for (const values of Object.values(context)) {
      for (const value of Array.isArray(values) ? values : []) {
        const email = lowerEmail(text(value));
        if (wanted.has(email) && !byEmail.get(email)?.ok) byEmail.set(email, outcome);
      }
    }
  }
  const status = text(body.status);
  return emails.map((email) => {
    const outcome = byEmail.get(lowerEmail(email));
    if (outcome?.ok) return { ok: true, id: email };
    if (outcome) return outcome;
    return status !== '' && status !== 'COMPLETE'
      ? {
          ok: false,
          code: `BATCH_${status}`,
          message: `HubSpot's batch unsubscribe ended ${status} before unsubscribing ${email}`,
          fields: [],
        }
      : {
          ok: false,
          code: 'MISSING_RESULT',
          message: `HubSpot answered no result for ${email}`,
          fields: [],
        };
  });
}
