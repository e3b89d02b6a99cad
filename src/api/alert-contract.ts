/**
 * The HTTP contract's shapes for alerts (U3), shared by the server, the client and the console: an
 * alert as shown (its target masked: never a secret), each condition's state, and a notice of the
 * outbox or its history. The routes are in `contract.ts`.
 */
import { z } from 'zod';
import { alertConditions } from '../core/alerts.ts';
import { noticeKinds } from '../core/alert-notices.ts';

export const AlertConditionId = z.enum(alertConditions, {
  error: `Use one of: ${alertConditions.join(', ')}.`,
});

/** An alert as shown: where it sends is masked (`https://hooks.slack.com/… (URL sealed)`, `URL from env X`). */
export const AlertView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['webhook', 'slack', 'email']),
  /** Where it sends, masked: a URL's scheme and host only, a secret only by where it comes from. */
  target: z.string(),
  conditions: z.array(AlertConditionId).readonly(),
  digest: z.boolean(),
  createdAt: z.number(),
  /** Its latest notice, and how its delivery went (null: none yet). */
  lastNotice: z
    .object({
      at: z.number(),
      kind: z.enum(noticeKinds),
      status: z.enum(['pending', 'sent', 'failed']),
      error: z.string().nullable(),
    })
    .nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

/** A condition of the pair: whether it holds, and what the alerts were told. */
export const AlertConditionView = z.object({
  condition: AlertConditionId,
  label: z.string(),
  holds: z.boolean(),
  /** Whether the alerts were told it started (and not yet that it cleared). */
  notified: z.boolean(),
  since: z.number().nullable(),
  detail: z.string().nullable(),
});

export const AlertNoticeView = z.object({
  id: z.number(),
  alert: z.string(),
  kind: z.enum(noticeKinds),
  condition: AlertConditionId.nullable(),
  title: z.string(),
  createdAt: z.number(),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number(),
  nextAttempt: z.number().nullable(),
  /** Why the last delivery failed (never a secret), or null. */
  lastError: z.string().nullable(),
  sentAt: z.number().nullable(),
});
export type AlertNoticeView = z.infer<typeof AlertNoticeView>;

/** `GET /api/alerts`: the pair's alerts, its conditions' states, its thresholds. */
export const AlertsOverview = z.object({
  alerts: z.array(AlertView),
  conditions: z.array(AlertConditionView),
  /** Whether this Crosswalk can seal a secret given as a value (CROSSWALK_SECRET_KEY is set). */
  canSeal: z.boolean(),
});
export type AlertsOverview = z.infer<typeof AlertsOverview>;

/**
 * An alert to add: checked by the server (`config/alert-channels.ts`), which names each field at
 * fault; here only its shape as JSON. A secret (`url`, `password`) is a value, sealed before it is
 * stored, or `{ "env": "CROSSWALK_ALERT_…" }` naming the environment variable that holds it (no other
 * variable is read).
 */
export const AlertInput = z.record(z.string(), z.unknown(), {
  error: 'Send a JSON object: { "id", "kind": "webhook" | "slack" | "email", … }.',
});
