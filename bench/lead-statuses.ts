/**
 * Set-up step of the issue-6 benchmarks: HubSpot's Lead Status property (`hs_lead_status`) gets
 * Salesforce's lead statuses as options, through the properties API, as a HubSpot admin does when
 * setting up the sync. Without them the demo dataset's open and working leads (about half the leads)
 * cannot sync their status: each records an error, which is not what these benchmarks measure.
 */
import { leadStatuses } from '../src/emulators/salesforce/schema.ts';

interface Option {
  readonly label: string;
  readonly value: string;
  readonly displayOrder?: number;
  readonly hidden?: boolean;
}

export async function addSalesforceLeadStatuses(hubspot: {
  url: string;
  accessToken: string;
}): Promise<void> {
  const url = `${hubspot.url}/crm/v3/properties/contacts/hs_lead_status`;
  const headers = { authorization: `Bearer ${hubspot.accessToken}`, 'content-type': 'application/json' };
  const current = (await (await fetch(url, { headers })).json()) as { options: Option[] };
  const known = new Set(current.options.map((o) => o.value));
  const options = [
    ...current.options,
    ...leadStatuses
      .filter((status) => !known.has(status))
      .map((status, i) => ({
        label: status,
        value: status,
        displayOrder: current.options.length + i,
        hidden: false,
      })),
  ];
  const answer = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ options }) });
  if (!answer.ok) throw new Error(`hs_lead_status options refused: ${answer.status} ${await answer.text()}`);
}
