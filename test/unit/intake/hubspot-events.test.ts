import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HubSpotEventSchema,
  parseHubSpotDelivery,
  quickHubSpotEvent,
} from '../../../src/intake/hubspot-events.ts';

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

describe('quickHubSpotEvent (the plain-code check before zod)', () => {
  const valid = [
    ...body,
    { ...body[0]!, appId: undefined },
    { ...body[0]!, eventId: '3816279480', objectId: '1246978', portalId: '62515' },
    { ...body[2]!, propertyValue: null },
    { ...body[2]!, propertyValue: 42 },
    { ...body[2]!, propertyValue: true },
    { ...body[0]!, subscriptionType: undefined, eventType: 'contact.creation' },
    { ...body[0]!, objectTypeId: '0-1', extra: { nested: [1] } },
  ];
  const broken: unknown[] = [
    null,
    [],
    'x',
    { ...body[0]!, objectId: undefined },
    { ...body[0]!, objectId: -1 },
    { ...body[0]!, objectId: 1.5 },
    { ...body[0]!, objectId: '12a' },
    { ...body[0]!, objectId: '' },
    { ...body[0]!, eventId: 2 ** 60 },
    { ...body[0]!, appId: null },
    { ...body[0]!, appId: 'x' },
    { ...body[0]!, occurredAt: '1764326580000' },
    { ...body[0]!, occurredAt: -5 },
    { ...body[0]!, subscriptionType: undefined },
    { ...body[0]!, subscriptionType: '' },
    { ...body[0]!, subscriptionType: 7 },
    { ...body[0]!, eventType: 7 },
    { ...body[0]!, objectTypeId: 1 },
    { ...body[2]!, propertyName: 5 },
    { ...body[2]!, propertyValue: { a: 1 } },
    { ...body[2]!, propertyValue: [1] },
    { ...body[0]!, attemptNumber: '0' },
  ];

  it('accepts what HubSpot sends, exactly as zod would parse it', () => {
    for (const e of valid) {
      const quick = quickHubSpotEvent(e);
      expect(quick, JSON.stringify(e)).not.toBeNull();
      const z = HubSpotEventSchema.safeParse(e);
      expect(z.success).toBe(true);
      expect(quick).toEqual(z.data);
    }
  });

  it('never accepts what zod refuses (zod then words the 400)', () => {
    for (const e of broken) {
      expect(HubSpotEventSchema.safeParse(e).success, JSON.stringify(e)).toBe(false);
      expect(quickHubSpotEvent(e), JSON.stringify(e)).toBeNull();
    }
  });
});
