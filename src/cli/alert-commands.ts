/**
 * `crosswalk alerts list | add | remove | test | notices | check` (U3): a pair's alerts — a JSON
 * webhook, a Slack incoming webhook, or e-mail over SMTP — and the conditions they are told about.
 * Secrets (webhook URLs, the SMTP password) are given by environment variable (`--webhook-env`,
 * `--slack-env`, `--smtp-password-env`: one named CROSSWALK_ALERT_…, never Crosswalk's own) or as a
 * value, sealed with CROSSWALK_SECRET_KEY before it is stored; they are never printed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { AlertNoticeView, AlertsOverview } from '../api/alert-contract.ts';
import * as alertOps from '../app/alert-ops.ts';
import { AlertMonitor } from '../app/alert-monitor.ts';
import { alertConditions } from '../core/alerts.ts';
import { needed, storeOptions, UsageError, withStore } from './sync-commands.ts';

type Out = (line: string) => void;

interface AddFlags {
  webhook?: string;
  webhookEnv?: string;
  slack?: string;
  slackEnv?: string;
  blocks?: boolean;
  email?: string[];
  from?: string;
  smtpHost?: string;
  smtpPort?: number;
  smtpSecure?: boolean;
  smtpUser?: string;
  smtpPassword?: string;
  smtpPasswordEnv?: string;
  name?: string;
  conditions?: string[];
  digest?: boolean;
}

const iso = (at: number | null): string => (at === null ? '—' : new Date(at).toISOString());
const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== ''),
];
const limit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new InvalidArgumentError(`expected 1 to 500, got "${value}"`);
  return n;
};
const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new InvalidArgumentError(`expected a port from 1 to 65535, got "${value}"`);
  return n;
};

/** The alert as declared (`config/alert-channels.ts`) from the flags of `alerts add`. */
export function declarationOf(id: string, flags: AddFlags): Record<string, unknown> {
  const secret = (value: string | undefined, env: string | undefined) =>
    env !== undefined ? { env } : value;
  const kinds = [
    flags.webhook !== undefined || flags.webhookEnv !== undefined ? 'webhook' : null,
    flags.slack !== undefined || flags.slackEnv !== undefined ? 'slack' : null,
    flags.email !== undefined ? 'email' : null,
  ].filter((k) => k !== null);
  if (kinds.length !== 1)
    throw new UsageError(
      'give one channel: --webhook <url> (or --webhook-env NAME), --slack <url> (or --slack-env NAME), or --email <to> with --from and --smtp-host',
    );
  const common = {
    id,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.conditions !== undefined ? { conditions: flags.conditions } : {}),
    digest: flags.digest === true,
  };
  if (kinds[0] === 'webhook')
    return { kind: 'webhook', url: secret(flags.webhook, flags.webhookEnv), ...common };
  if (kinds[0] === 'slack')
    return {
      kind: 'slack',
      url: secret(flags.slack, flags.slackEnv),
      blocks: flags.blocks === true,
      ...common,
    };
  return {
    kind: 'email',
    to: flags.email,
    from: flags.from,
    host: flags.smtpHost,
    ...(flags.smtpPort !== undefined ? { port: flags.smtpPort } : {}),
    ...(flags.smtpSecure !== undefined ? { secure: flags.smtpSecure } : {}),
    ...(flags.smtpUser !== undefined ? { user: flags.smtpUser } : {}),
    ...(flags.smtpPassword !== undefined || flags.smtpPasswordEnv !== undefined
      ? { password: secret(flags.smtpPassword, flags.smtpPasswordEnv) }
      : {}),
    ...common,
  };
}

function printOverview(overview: AlertsOverview, out: Out): void {
  if (overview.alerts.length === 0)
    out('no alerts: add one with `crosswalk alerts add <id> --slack-env NAME` (see --help)');
  for (const a of overview.alerts) {
    const conditions =
      a.conditions.length === alertConditions.length ? 'every condition' : a.conditions.join(', ');
    out(`${a.id.padEnd(16)} ${a.kind.padEnd(8)} ${a.target}`);
    out(`  ${a.name === a.id ? '' : `"${a.name}": `}${conditions}${a.digest ? '; daily digest' : ''}`);
    if (a.lastNotice)
      out(
        `  last notice: ${a.lastNotice.kind} ${a.lastNotice.status} at ${iso(a.lastNotice.at)}${a.lastNotice.error ? ` (${a.lastNotice.error})` : ''}`,
      );
  }
  out('conditions:');
  for (const c of overview.conditions)
    out(
      `  ${c.condition.padEnd(19)} ${c.holds ? `HOLDS since ${iso(c.since)}` : 'clear'}${c.notified ? ' (alerts told)' : ''}${c.holds && c.detail ? `: ${c.detail}` : ''}`,
    );
}

function noticeLine(n: AlertNoticeView): string {
  const when =
    n.status === 'sent'
      ? `sent ${iso(n.sentAt)}`
      : n.status === 'pending'
        ? `next try ${iso(n.nextAttempt)}`
        : 'given up';
  return `${String(n.id).padStart(5)} ${n.alert.padEnd(16)} ${n.kind.padEnd(6)} ${n.status.padEnd(7)} ${when}  ${n.title}${n.lastError ? `  (last error: ${n.lastError})` : ''}`;
}

export function registerAlertCommands(program: Command, out: Out): void {
  const alerts = program
    .command('alerts')
    .description('Alerts (U3): a webhook, Slack or e-mail told when the sync fails, pauses or falls behind.');

  storeOptions(
    alerts.command('list').description("The pair's alerts, and each condition as it stands."),
  ).action(async (flags: Record<string, unknown>) => {
    printOverview(await withStore(flags, (store) => alertOps.listAlerts(store, process.env)), out);
  });

  storeOptions(
    alerts
      .command('add')
      .description(
        'Add an alert. Secrets as values are sealed with CROSSWALK_SECRET_KEY; or name a variable.',
      ),
  )
    .argument('<id>', 'a name for it: lower-case letters, digits and dashes (e.g. ops-slack)')
    .option(
      '--webhook <url>',
      'a generic JSON webhook: POSTs {type, kind, pair, condition, title, text, at, since}',
    )
    .option(
      '--webhook-env <NAME>',
      'the webhook URL is in this environment variable (named CROSSWALK_ALERT_…)',
    )
    .option('--slack <url>', "a Slack incoming webhook's URL (a secret: sealed)")
    .option(
      '--slack-env <NAME>',
      "the Slack incoming webhook's URL is in this environment variable (named CROSSWALK_ALERT_…)",
    )
    .option('--blocks', 'Slack: Block Kit blocks beside the text')
    .option('--email <to>', 'e-mail these addresses (comma-separated, or the flag again)', list)
    .option('--from <address>', 'e-mail: the sender address')
    .option('--smtp-host <host>', "e-mail: the SMTP server's host")
    .option('--smtp-port <n>', 'e-mail: its port (default 587; 465 means TLS from the start)', port)
    .option(
      '--smtp-secure',
      'e-mail: TLS from the start (otherwise STARTTLS: when offered, and always before a login)',
    )
    .option('--smtp-user <user>', 'e-mail: the SMTP user')
    .option(
      '--smtp-password-env <NAME>',
      'e-mail: the SMTP password is in this environment variable (named CROSSWALK_ALERT_…)',
    )
    .option(
      '--smtp-password <password>',
      'e-mail: the SMTP password itself (sealed; prefer --smtp-password-env)',
    )
    .option('--name <name>', 'a name for people')
    .option('--conditions <list>', `only these (comma-separated): ${alertConditions.join(', ')}`, list)
    .option('--digest', 'a daily digest too (at the alertDigestHourUtc setting)')
    .action(async (id: string, flags: Record<string, unknown> & AddFlags) => {
      const declared = declarationOf(id, flags);
      const added = needed(
        await withStore(flags, (store) => alertOps.addAlert(store, declared, process.env, Date.now())),
      );
      out(`added ${added.id}: ${added.kind} to ${added.target}`);
      out('send a test with: crosswalk alerts test ' + added.id);
    });

  storeOptions(alerts.command('remove').description('Remove an alert and its notices.'))
    .argument('<id>', 'the alert')
    .action(async (id: string, flags: Record<string, unknown>) => {
      const removed = needed(await withStore(flags, (store) => alertOps.removeAlert(store, id)));
      out(`removed ${removed.id}`);
    });

  storeOptions(alerts.command('test').description('Send a test notice to an alert now.'))
    .argument('<id>', 'the alert')
    .action(async (id: string, flags: Record<string, unknown>) => {
      const sent = needed(
        await withStore(flags, (store) => alertOps.testAlert(store, id, process.env, () => Date.now())),
      );
      out(`delivered: ${sent.title}`);
    });

  storeOptions(alerts.command('notices').description('The notices sent, waiting and given up, newest first.'))
    .option('--alert <id>', 'of this alert only')
    .option('--limit <n>', 'how many (1–500)', limit, 50)
    .action(async (flags: Record<string, unknown> & { alert?: string; limit: number }) => {
      const notices = needed(
        await withStore(flags, (store) =>
          alertOps.listNotices(store, { limit: flags.limit, alert: flags.alert }),
        ),
      );
      if (notices.length === 0) out('no notices yet');
      for (const n of notices) out(noticeLine(n));
    });

  storeOptions(
    alerts
      .command('check')
      .description(
        'Check the conditions now and send what is due (what each cycle of start and worker does).',
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const check = await withStore(flags, async (store) => {
      const monitor = new AlertMonitor({ now: Date.now, env: process.env });
      try {
        return await monitor.check(store);
      } finally {
        await monitor.stop();
      }
    });
    if (check.queued.length === 0 && check.delivered.length === 0) out('nothing to send');
    for (const q of check.queued)
      out(`queued: ${q.kind}${q.condition ? ` of ${q.condition}` : ''} to ${q.alert}`);
    for (const d of check.delivered)
      out(
        `${d.error === null ? 'delivered' : 'not delivered'}: ${d.kind}${d.condition ? ` of ${d.condition}` : ''} to ${d.alert}${d.error ? ` (${d.error}; tried again later)` : ''}`,
      );
  });
}
