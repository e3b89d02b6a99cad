/**
 * U3 notices: what an alert says, and the body each channel kind is sent — a generic JSON webhook,
 * a Slack incoming webhook (`{ "text" }`, with Block Kit blocks when asked), an e-mail (subject and
 * plain text). Pure: the time is passed in; the app layer sends them (`app/alert-delivery.ts`).
 */
import { alertConditionLabels, type AlertCondition, type ConditionState } from './alerts.ts';

export const noticeKinds = ['start', 'clear', 'digest', 'test'] as const;
export type NoticeKind = (typeof noticeKinds)[number];

/** One notice, as every channel kind is sent it (each in its own shape). */
export interface Notice {
  readonly kind: NoticeKind;
  readonly pair: string;
  /** The condition a start or clear is about; null for a digest or a test. */
  readonly condition: AlertCondition | null;
  /** One line: the e-mail's subject, Slack's first line. */
  readonly title: string;
  /** Plain text, a few lines: what holds, since when, and what to do. */
  readonly text: string;
  /** When it was decided (epoch ms). */
  readonly at: number;
  /** A start or clear: when the condition started holding. */
  readonly since: number | null;
}

/** What to do about each condition, in plain words. */
export const conditionFixes: Readonly<Record<AlertCondition, string>> = {
  auth_failure:
    'Renew the refused credentials (the Salesforce access token or connected app, the HubSpot private app token), then restart Crosswalk. Nothing is lost: changes wait in both systems.',
  connection_failure:
    'Check that the system is reachable from Crosswalk; every cycle tries again by itself, and nothing is lost.',
  sf_calls_paused:
    'The work waits and resumes by itself when the 24 h window frees (B1). Raise sfDailyAllocation to resume sooner.',
  retries_paused:
    'New changes still sync; failed records wait (E3). Resync them by hand, or raise sfDailyAllocation.',
  error_spike:
    "See the error log (crosswalk errors, or the console's Sync errors): each error names its fix.",
  latency: 'See the Runs screen (or crosswalk status) for what slows the cycles; check the API budget.',
  backlog: 'HubSpot changes wait to be synced: check that the sync runs (crosswalk status, the console).',
  mapping_gone: 'Restore the property or field (or its field-level security), or remove the mapping.',
};

const iso = (at: number): string => new Date(at).toISOString();

/** A span in words: "45 s", "25 min", "3 h 5 min", "2 d 4 h". */
export function durationWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  return h % 24 === 0 ? `${Math.floor(h / 24)} d` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

const prefix = (pair: string): string => `[Crosswalk ${pair}]`;

/** U3: the notice of a condition that started or cleared (its state as the check left it). */
export function conditionNotice(
  pair: string,
  state: ConditionState,
  kind: 'start' | 'clear',
  now: number,
): Notice {
  const label = alertConditionLabels[state.condition];
  const since = state.since ?? now;
  const text =
    kind === 'start'
      ? [
          `${label}, since ${iso(since)}.`,
          state.detail ?? '',
          `What to do: ${conditionFixes[state.condition]}`,
        ]
      : [
          `${label}: cleared. It held from ${iso(since)}, for ${durationWords(now - since)}.`,
          state.detail ? `It was: ${state.detail}` : '',
        ];
  return {
    kind,
    pair,
    condition: state.condition,
    title: `${prefix(pair)} ${label}: ${kind === 'start' ? 'started' : 'cleared'}`,
    text: text.filter((line) => line !== '').join('\n'),
    at: now,
    since,
  };
}

/** What a daily digest sums up (the last 24 h, and what holds now). */
export interface DigestFacts {
  readonly holding: readonly Pick<ConditionState, 'condition' | 'since' | 'detail'>[];
  /** Records in the error log now. */
  readonly failingRecords: number;
  readonly runs: number;
  readonly failedRuns: number;
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
}

export function digestNotice(pair: string, facts: DigestFacts, now: number): Notice {
  const lines = [
    `The last 24 h: ${facts.runs} runs (${facts.failedRuns} stopped by an error); ${facts.written.salesforce} Salesforce and ${facts.written.hubspot} HubSpot records written; ${facts.calls.salesforce} Salesforce and ${facts.calls.hubspot} HubSpot API calls.`,
    `Records failing now: ${facts.failingRecords}.`,
    facts.holding.length === 0
      ? 'No alert condition holds.'
      : `Holding now: ${facts.holding
          .map(
            (h) =>
              `${alertConditionLabels[h.condition]}${h.since === null ? '' : ` (since ${iso(h.since)})`}`,
          )
          .join('; ')}.`,
  ];
  return {
    kind: 'digest',
    pair,
    condition: null,
    title: `${prefix(pair)} Daily digest: ${facts.holding.length === 0 ? 'all well' : `${facts.holding.length} condition${facts.holding.length === 1 ? '' : 's'} holding`}`,
    text: lines.join('\n'),
    at: now,
    since: null,
  };
}

/** The notice of "send a test": it says which alert sent it. */
export function testNotice(pair: string, alert: string, now: number): Notice {
  return {
    kind: 'test',
    pair,
    condition: null,
    title: `${prefix(pair)} Test notice from the alert "${alert}"`,
    text: `This is a test: the alert "${alert}" of the connection pair "${pair}" reaches you. Crosswalk sends one notice when a condition starts and one when it clears.`,
    at: now,
    since: null,
  };
}

/** The generic webhook's JSON body. */
export function webhookPayload(notice: Notice): Record<string, unknown> {
  return {
    type: 'crosswalk.alert',
    kind: notice.kind,
    pair: notice.pair,
    condition: notice.condition,
    title: notice.title,
    text: notice.text,
    at: iso(notice.at),
    since: notice.since === null ? null : iso(notice.since),
  };
}

/** Slack's incoming-webhook body: `text` always (the fallback), Block Kit blocks when asked. */
export function slackPayload(notice: Notice, blocks: boolean): Record<string, unknown> {
  const text = `*${notice.title}*\n${notice.text}`;
  if (!blocks) return { text };
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: notice.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: notice.text.slice(0, 3000) } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Crosswalk · pair ${notice.pair} · ${notice.kind}` }],
      },
    ],
  };
}

/** The e-mail: subject and plain-text body. */
export function emailMessage(notice: Notice): { readonly subject: string; readonly text: string } {
  return { subject: notice.title, text: `${notice.text}\n\n— Crosswalk (connection pair ${notice.pair})\n` };
}
