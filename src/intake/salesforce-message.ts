/**
 * A Salesforce Outbound Message (SOAP, PROTOCOLS.md §4) → inbox events, and the two answers:
 * the Ack (sent only after every notification is committed) and a SOAP fault (so Salesforce
 * retries). The organisation id must be ours: outbound messages carry no signature.
 */
import { XMLParser } from 'fast-xml-parser';
import { SwitchboardError } from '../errors.ts';
import type { Lead, LeadCrmRef } from '../routing/lead.ts';
import { applyMapping } from '../adapters/lead-mapping.ts';
import { DEFAULT_SALESFORCE_MAPPING } from '../adapters/crm-mapping-schema.ts';
import type { NewInboxEvent } from './inbox-payload.ts';

export const MAX_SALESFORCE_NOTIFICATIONS = 100;

export const SOAP_ACK = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>`;

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

export function soapFault(faultCode: 'soapenv:Client' | 'soapenv:Server', message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <soapenv:Fault>
   <faultcode>${faultCode}</faultcode>
   <faultstring>${xmlEscape(message)}</faultstring>
  </soapenv:Fault>
 </soapenv:Body>
</soapenv:Envelope>`;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Ids like 00Q… and numbers stay strings here; the mapping coerces the numeric fields.
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'Notification',
});

export interface ParsedOutboundMessage {
  organizationId: string;
  events: NewInboxEvent[];
  ignored: number;
}

type XmlNode = Record<string, unknown>;

export function parseOutboundMessage(
  xml: string,
  expectedOrgId: string,
  mapping: Record<string, string> = DEFAULT_SALESFORCE_MAPPING.lead,
): ParsedOutboundMessage {
  // No DTDs: nothing legitimate needs one, and entity expansion is an attack surface.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw malformed('DOCTYPE declarations are not accepted');
  let doc: XmlNode;
  try {
    doc = parser.parse(xml, true) as XmlNode;
  } catch (err) {
    throw malformed(`not well-formed XML: ${(err as Error).message}`);
  }
  const notifications = path(doc, ['Envelope', 'Body', 'notifications']);
  if (!notifications) throw malformed('no soapenv:Envelope/Body/notifications element');
  const org = text(notifications['OrganizationId']);
  if (!org) throw malformed('OrganizationId is missing');
  if (!sameOrg(org, expectedOrgId)) {
    throw new SwitchboardError(
      'WEBHOOK.WRONG_ORG',
      `Outbound message from organisation ${org}, but SALESFORCE_ORG_ID is ${expectedOrgId}.`,
      403,
    );
  }
  const list = (notifications['Notification'] as XmlNode[] | undefined) ?? [];
  if (list.length === 0) throw malformed('no Notification elements');
  if (list.length > MAX_SALESFORCE_NOTIFICATIONS) {
    throw malformed(
      `at most ${MAX_SALESFORCE_NOTIFICATIONS} notifications per message; got ${list.length}`,
    );
  }
  const events: NewInboxEvent[] = [];
  let ignored = 0;
  list.forEach((n, i) => {
    const nid = text(n['Id']);
    const sobj = n['sObject'] as XmlNode | undefined;
    if (!nid || !sobj || typeof sobj !== 'object')
      throw malformed(`Notification[${i}] has no Id or sObject`);
    const type = String(sobj['@type'] ?? '').replace(/^.*:/, '');
    const recordId = text(sobj['Id']);
    if (type !== 'Lead') {
      ignored++; // a message defined on another object: acknowledged, not routed
      return;
    }
    if (!recordId) throw malformed(`Notification[${i}] sObject has no Id`);
    const ref: LeadCrmRef = { system: 'salesforce', object: 'lead', id: recordId, tenant: org };
    events.push({
      source: 'salesforce',
      dedupeKey: `${org}:${nid}`,
      kind: 'route',
      payload: { ref, lead: sObjectToLead(sobj, mapping) },
    });
  });
  return { organizationId: org, events, ignored };
}

/** The sObject's fields through the Salesforce mapping (routing.yaml `crm_mapping`, or its defaults). */
export function sObjectToLead(
  sobj: XmlNode,
  mapping: Record<string, string> = DEFAULT_SALESFORCE_MAPPING.lead,
): Lead {
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sobj)) {
    if (k.startsWith('@')) continue;
    const t = text(v);
    if (t !== undefined) record[k] = t;
  }
  const lead: Lead = {};
  applyMapping(lead, record, mapping);
  return lead;
}

/** 15- and 18-character forms of one org id are the same org (the 3 extra characters are a checksum). */
function sameOrg(a: string, b: string): boolean {
  return a === b || (a.length >= 15 && b.length >= 15 && a.slice(0, 15) === b.slice(0, 15));
}

function path(node: XmlNode, keys: string[]): XmlNode | undefined {
  let cur: unknown = node;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as XmlNode)[k];
  }
  return typeof cur === 'object' && cur !== null ? (cur as XmlNode) : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null && '#text' in v) return text((v as XmlNode)['#text']);
  return undefined;
}

function malformed(why: string): SwitchboardError {
  return new SwitchboardError('WEBHOOK.MALFORMED', `Malformed outbound message: ${why}.`, 400);
}
