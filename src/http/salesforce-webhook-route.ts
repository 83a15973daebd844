/**
 * `POST /webhooks/salesforce`: an Outbound Message. Every notification is committed before the
 * single Ack; any failure answers a SOAP fault (HTTP 500 for our side, so Salesforce retries for
 * up to 24 h; 4xx with a Client fault for a request that will never succeed).
 */
import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.ts';
import { SwitchboardError } from '../errors.ts';
import type { InboxInserter } from '../intake/inbox-inserter.ts';
import { logFields } from './request-log.ts';
import { parseOutboundMessage, SOAP_ACK, soapFault } from '../intake/salesforce-message.ts';
import { safeEqual } from './bearer-auth.ts';
import { resolveSalesforceMapping, type CrmMapping } from '../adapters/crm-mapping-schema.ts';

export function registerSalesforceWebhook(
  scope: FastifyInstance,
  deps: {
    env: Env;
    /** Stores the events; resolves after their commit (coalesced with concurrent deliveries). */
    inbox: InboxInserter;
    salesforceMapping?: Record<string, string>;
    /** The live config: its `crm_mapping` wins over `salesforceMapping`, so a reload applies here too. */
    config?: { crmMapping(): CrmMapping | undefined };
    onInboxInsert?: () => void;
  },
): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    ['text/xml', 'application/xml', 'application/soap+xml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  // SOAP callers expect a SOAP body on every error, 4xx included (wrong org, bad XML, 413, 415).
  scope.setErrorHandler((err: Error & { statusCode?: number; status?: number }, req, reply) => {
    const status = err instanceof SwitchboardError ? err.status : (err.statusCode ?? 500);
    const client = status < 500;
    if (client) req.log.info({ status, err: err.message }, 'salesforce message refused');
    else
      req.log.error(
        { err },
        'salesforce message not stored; answering a fault so Salesforce retries',
      );
    return reply
      .status(client ? status : 500) // SOAP 1.1: a server fault travels as HTTP 500
      .type('text/xml; charset=utf-8')
      .send(
        soapFault(
          client ? 'soapenv:Client' : 'soapenv:Server',
          client || err instanceof SwitchboardError ? err.message : 'Internal error; not stored.',
        ),
      );
  });

  scope.post<{ Querystring: { token?: string } }>('/webhooks/salesforce', async (req, reply) => {
    const orgId = deps.env.SALESFORCE_ORG_ID;
    if (!orgId) {
      throw new SwitchboardError(
        'WEBHOOK.NOT_CONFIGURED',
        'Salesforce outbound messages are refused until SALESFORCE_ORG_ID is set.',
        403,
      );
    }
    const token = deps.env.SALESFORCE_WEBHOOK_TOKEN;
    if (token && !safeEqual(req.query.token ?? '', token)) {
      throw new SwitchboardError(
        'WEBHOOK.BAD_TOKEN',
        'The ?token= of the endpoint URL is wrong.',
        401,
      );
    }
    const msg = parseOutboundMessage(
      typeof req.body === 'string' ? req.body : '',
      orgId,
      deps.config
        ? resolveSalesforceMapping(deps.config.crmMapping()).lead
        : deps.salesforceMapping,
    );
    const { inserted } = await deps.inbox.insert(msg.events);
    if (inserted > 0) deps.onInboxInsert?.();
    logFields(req, {
      notifications: msg.events.length + msg.ignored,
      stored: inserted,
      ignored: msg.ignored,
    });
    return reply.status(200).type('text/xml; charset=utf-8').send(SOAP_ACK);
  });
}
