/**
 * Synthetic leads for benchmarks: deterministic (seeded), spread over every lead type of the
 * example config, with the usual holes (no size, no message) real CRM data has.
 */
import type { Lead } from '../src/routing/lead.ts';
import { seededRandom } from './measure.ts';

const INDUSTRIES = ['Logistics', 'Healthcare', 'Retail', 'Insurance', 'Manufacturing', 'Software'];
const FORMS = ['contact', 'demo-request', 'pricing', 'newsletter'];
const CHANNELS = ['web', 'web', 'web', 'partner', 'paid', 'event'];
const MESSAGES = [
  'We’re thinking through some operational rebuild work. Open to a conversation.',
  'Looking at a data migration off our legacy system this quarter.',
  'We are scaling fast and need help.',
  'Can you send pricing?',
  'Hello',
  '',
];

export function syntheticLeads(n: number, seed = 42): Lead[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const leads: Lead[] = [];
  for (let i = 0; i < n; i++) {
    const sizeRoll = rnd();
    const employees =
      sizeRoll < 0.1 ? undefined : Math.floor(sizeRoll < 0.45 ? rnd() * 50 : rnd() * 600);
    const message = pick(MESSAGES);
    const lead: Lead = {
      email: `lead${i}@example.com`,
      first_name: `Lead${i}`,
      company: `Company ${i}`,
      industry: pick(INDUSTRIES),
      country: 'US',
      source: { channel: pick(CHANNELS), form: pick(FORMS) },
      behaviour: { pages_viewed: Math.floor(rnd() * 12) },
      created_at: '2026-12-02T17:00:00Z',
    };
    if (employees !== undefined) lead.employees = employees;
    if (message) lead.message = message;
    if (rnd() < 0.05) lead.account = { id: `acc${i}`, target: true };
    leads.push(lead);
  }
  return leads;
}
