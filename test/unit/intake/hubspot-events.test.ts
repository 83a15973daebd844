import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHubSpotDelivery } from '../../../src/intake/hubspot-events.ts';

const body = JSON.parse(
  fs.readFileSync(
    new URL('../../fixtures/hubspot/contact-batch.body.json', import.meta.url),
    'utf8',
  ),
) as Array<Record<string, unknown>>;
const rules = {
  rerouteOn: ['lifecyclestage=marketingqualifiedlead'],
  engagementProperties: ['hs_sales_email_last_replied'],
};

describe('parseHubSpotDelivery', () => {
  it('routes creations and re-routes the configured lifecycle change', () => {
    const d = parseHubSpotDelivery(body, rules);
    expect(d.ignored).toBe(0);
    expect(d.events.map((e) => [e.kind, e.payload.ref.id])).toEqual([
      ['route', '1246978'],
      ['route', '1246979'],
      ['reroute', '1246965'],
    ]);
    expect(d.events[0]).toMatchObject({
      source: 'hubspot',
      dedupeKey: '62515:54321:22:3816279480:1246978:1764326580000:',
      payload: {
        ref: { system: 'hubspot', object: 'contact', id: '1246978', tenant: '62515' },
        occurredAt: '2025-11-28T10:43:00.000Z',
      },
    });
    expect(d.events[2]?.payload).toMatchObject({
      trigger: { property: 'lifecyclestage', value: 'marketingqualifiedlead' },
    });
  });

  it('records engagement properties and ignores other changes and objects', () => {
    const base = body[2]!;
    const d = parseHubSpotDelivery(
      [
        { ...base, propertyName: 'hs_sales_email_last_replied', propertyValue: '1764326590000' },
        { ...base, propertyName: 'lifecyclestage', propertyValue: 'customer' },
        { ...base, propertyName: 'favourite_colour', propertyValue: 'teal' },
        { ...body[0]!, subscriptionType: 'company.creation' },
        { ...body[0]!, subscriptionType: 'contact.deletion' },
      ],
      rules,
    );
    expect(d.events.map((e) => e.kind)).toEqual(['engagement']);
    expect(d.ignored).toBe(4);
  });

  it('keeps events apart that share an eventId but not object or time', () => {
    const a = body[0]!;
    const d = parseHubSpotDelivery([a, { ...a, objectId: 1 }, { ...a, occurredAt: 1 }], rules);
    expect(new Set(d.events.map((e) => e.dedupeKey)).size).toBe(3);
  });

  it('refuses non-arrays, more than 100 events and malformed events', () => {
    expect(() => parseHubSpotDelivery({}, rules)).toThrow(/JSON array/);
    expect(() =>
      parseHubSpotDelivery(
        Array.from({ length: 101 }, () => body[0]),
        rules,
      ),
    ).toThrow(/at most 100/);
    expect(() => parseHubSpotDelivery([{ ...body[0], objectId: undefined }], rules)).toThrow(
      /\[0\] is malformed: objectId/,
    );
    expect(() =>
      parseHubSpotDelivery([{ ...body[0], subscriptionType: undefined }], rules),
    ).toThrow(/subscriptionType/);
  });
});
