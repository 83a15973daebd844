import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseOutboundMessage,
  SOAP_ACK,
  soapFault,
} from '../../../src/intake/salesforce-message.ts';

const xml = fs.readFileSync(
  new URL('../../fixtures/salesforce/outbound-message.xml', import.meta.url),
  'utf8',
);
const ORG = '00D000000000001EAA';

describe('parseOutboundMessage', () => {
  it('maps each Lead notification to a route event keyed by org and notification id', () => {
    const m = parseOutboundMessage(xml, ORG);
    expect(m.organizationId).toBe(ORG);
    expect(m.events.map((e) => e.dedupeKey)).toEqual([
      `${ORG}:04l000000000001AAA`,
      `${ORG}:04l000000000002AAA`,
    ]);
    expect(m.events[0]?.payload).toEqual({
      ref: { system: 'salesforce', object: 'lead', id: '00Q000000000001EAA', tenant: ORG },
      lead: {
        annual_revenue: 48_000_000,
        company: 'Cascadia Freight Co',
        country: 'United States',
        message: 'We’re thinking through some operational rebuild work. Open to a conversation.',
        email: 'jordan.reyes@cascadiafreight.example',
        first_name: 'Jordan',
        industry: 'Transportation',
        last_name: 'Reyes',
        source: { lead_source: 'Web' },
        employees: 300,
        state: 'WA',
        title: 'Director of Operations',
      },
    });
    expect(m.events[1]?.payload).toMatchObject({
      lead: { company: 'Okafor & Daughters Bakery', industry: 'Food & Beverage', employees: 12 },
    });
  });

  it('accepts the 15-character form of the org id', () => {
    expect(parseOutboundMessage(xml, ORG.slice(0, 15)).events).toHaveLength(2);
  });

  it('refuses another org with 403', () => {
    expect(() => parseOutboundMessage(xml, '00D000000000009EAA')).toThrow(
      expect.objectContaining({ code: 'WEBHOOK.WRONG_ORG', status: 403 }),
    );
  });

  it('refuses malformed XML, a missing envelope and DTDs with 400', () => {
    for (const bad of [
      '<notifications>',
      '<a>not soap</a>',
      `<!DOCTYPE x [<!ENTITY a "b">]>${xml.replace(/^<\?xml[^>]*>/, '')}`,
      xml.replace(/<OrganizationId>.*<\/OrganizationId>/, ''),
    ]) {
      expect(() => parseOutboundMessage(bad, ORG)).toThrow(
        expect.objectContaining({ code: 'WEBHOOK.MALFORMED', status: 400 }),
      );
    }
  });

  it('acknowledges other sObject types without routing them', () => {
    const contact = xml.replace('xsi:type="sf:Lead"', 'xsi:type="sf:Contact"');
    const m = parseOutboundMessage(contact, ORG);
    expect(m.events).toHaveLength(1);
    expect(m.ignored).toBe(1);
  });
});

describe('SOAP answers', () => {
  it('the Ack is the one Salesforce expects, byte for byte', () => {
    expect(SOAP_ACK).toBe(
      fs.readFileSync(new URL('../../fixtures/salesforce/ack.xml', import.meta.url), 'utf8'),
    );
  });

  it('a fault escapes its message', () => {
    expect(soapFault('soapenv:Server', 'a <b> & c')).toContain(
      '<faultstring>a &lt;b&gt; &amp; c</faultstring>',
    );
  });
});

describe('crm_mapping', () => {
  it('maps sObject fields through a configured mapping', () => {
    const m = parseOutboundMessage(xml, ORG, { company: 'Company', employees: 'AnnualRevenue' });
    expect(m.events[0]?.payload).toMatchObject({
      lead: { company: 'Cascadia Freight Co', employees: 48_000_000 },
    });
    expect((m.events[0]?.payload as { lead: object }).lead).not.toHaveProperty('email');
  });
});
