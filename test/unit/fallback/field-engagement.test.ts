import { describe, expect, it } from 'vitest';
import {
  engagementFieldsOf,
  engagementFromUpdate,
  statusSignals,
  withSalesforceEngagementFields,
  worthRecording,
} from '../../../src/fallback/field-engagement.ts';
import { signalFromPropertyChange } from '../../../src/fallback/early-exit.ts';

const assignedAt = new Date('2026-11-30T18:00:00.000Z');
const occurredAt = '2026-11-30T18:05:00.000Z';
const judge = (previous: Record<string, string | null>, current: Record<string, string | null>) =>
  engagementFromUpdate({ previous, current, assignedAt, occurredAt, source: 'salesforce update' });

describe('engagement from an update of a routed lead', () => {
  it('a status moving off "Open - Not Contacted" is a touch', () => {
    const r = judge(
      { lead_status: 'Open - Not Contacted' },
      { lead_status: 'Working - Contacted' },
    );
    expect(r.signal).toEqual({
      touched: true,
      occurredAt,
      source:
        'salesforce update (lead_status "Open - Not Contacted" → "Working - Contacted": touched)',
    });
    expect(r.changes.map((c) => [c.field, c.from, c.to, c.signals])).toEqual([
      ['lead_status', 'Open - Not Contacted', 'Working - Contacted', ['touched']],
    ]);
  });

  it('the same values again (a redelivery, an unrelated edit) show nothing and change nothing', () => {
    const r = judge(
      { lead_status: 'Open - Not Contacted', last_activity: null },
      { lead_status: 'Open - Not Contacted', last_activity: null },
    );
    expect(r).toEqual({ changes: [], signal: null });
  });

  it('a status already worked does not count twice; Qualified adds a booked meeting', () => {
    expect(judge({ lead_status: 'Working' }, { lead_status: 'Nurturing' }).signal).toBeNull();
    const q = judge({ lead_status: 'Working' }, { lead_status: 'Qualified' });
    expect(q.signal).toMatchObject({ meetingBooked: true });
    expect(q.signal!.touched).toBeUndefined(); // the touch was seen before
  });

  it('a status moving back to open is recorded as a change without engagement', () => {
    const r = judge({ lead_status: 'Working' }, { lead_status: 'Open - Not Contacted' });
    expect(r.signal).toBeNull();
    expect(r.changes.filter(worthRecording)).toHaveLength(1);
    // A first sighting that shows nothing is not recorded (it would read as activity).
    expect(
      judge({}, { lead_status: 'Open - Not Contacted' }).changes.filter(worthRecording),
    ).toEqual([]);
    expect(r.changes.map((c) => c.reason)).toEqual([
      'lead_status "Working" → "Open - Not Contacted": no new engagement',
    ]);
  });

  it('LastActivityDate set or advanced is a touch; older than the assignment it is not', () => {
    expect(judge({}, { last_activity: '2026-11-30' }).signal).toMatchObject({ touched: true });
    expect(
      judge({ last_activity: '2026-11-30' }, { last_activity: '2026-12-01' }).signal,
    ).toMatchObject({ touched: true });
    expect(judge({ last_activity: '2026-12-01' }, { last_activity: '2026-11-30' }).signal).toBe(
      null,
    );
    const old = judge({}, { last_activity: '2026-11-20' });
    expect(old.signal).toBeNull();
    expect(old.changes[0]!.reason).toContain('before the current assignment');
  });

  it('a meeting-booked checkbox turning true ends the sequence; false says nothing', () => {
    expect(judge({ meeting_booked: 'false' }, { meeting_booked: 'true' }).signal).toMatchObject({
      meetingBooked: true,
    });
    expect(judge({}, { meeting_booked: 'false' }).signal).toBeNull();
    expect(judge({ replied: null }, { replied: '2026-11-30T18:04:00Z' }).signal).toMatchObject({
      replied: true,
    });
  });

  it('reads only the engagement keys of lead.fields, as text', () => {
    expect(
      engagementFieldsOf({
        lead_status: 'Working',
        OwnerId: '005',
        meeting_booked: true,
        opened: '',
      }),
    ).toEqual({ lead_status: 'Working', meeting_booked: 'true', opened: null });
    expect(engagementFieldsOf(undefined)).toEqual({});
  });

  it('the Salesforce defaults fill only paths the org has not mapped itself', () => {
    expect(withSalesforceEngagementFields(undefined).salesforce?.lead).toEqual({
      'fields.lead_status': 'Status',
      'fields.last_activity': 'LastActivityDate',
    });
    const m = withSalesforceEngagementFields({
      hubspot: { extra: ['x'] },
      salesforce: { lead: { 'fields.lead_status': 'Stage__c', employees: 'Team_Size__c' } },
    });
    expect(m.hubspot).toEqual({ extra: ['x'] });
    expect(withSalesforceEngagementFields(undefined)).toBe(
      withSalesforceEngagementFields(undefined),
    );
    expect(m.salesforce?.lead).toEqual({
      'fields.lead_status': 'Stage__c',
      'fields.last_activity': 'LastActivityDate',
      employees: 'Team_Size__c',
    });
  });

  it('status values: untouched, worked, qualified — shared with the property-change path', () => {
    expect([...statusSignals('Open - Not Contacted')]).toEqual([]);
    expect([...statusSignals('New')]).toEqual([]);
    expect([...statusSignals('Working - Contacted')]).toEqual(['touched']);
    expect([...statusSignals('Closed - Converted')]).toEqual(['touched', 'meetingBooked']);
    expect([...statusSignals('Closed - Not Converted')]).toEqual(['touched']);
    expect([...statusSignals('Unqualified')]).toEqual(['touched']);
    expect([...statusSignals('Converted')]).toEqual(['touched', 'meetingBooked']);
    expect(signalFromPropertyChange('salesforce', 'Status', 'New', occurredAt)).toBeNull();
  });
});
