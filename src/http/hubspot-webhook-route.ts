/**
 * `POST /webhooks/hubspot`: verify the signature over the raw bytes, parse, store every event of
 * the batch (committed, possibly in one statement with concurrent deliveries: inbox-inserter.ts),
 * then answer 200. Ignored events are acknowledged too (HubSpot retries any 4xx/5xx for a day); a
 * database failure answers 503 so HubSpot retries.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import type { Env } from '../env.ts';
import type { Clock } from '../clock.ts';
import { SwitchboardError } from '../errors.ts';
import { verifyHubSpotSignature } from '../intake/hubspot-signature.ts';
import { parseHubSpotDelivery } from '../intake/hubspot-events.ts';
import type { InboxInserter } from '../intake/inbox-inserter.ts';
import { logFields } from './request-log.ts';

export function registerHubSpotWebhook(
  scope: FastifyInstance,
  deps: {
    env: Env;
    clock: Clock;
    /** Stores the events; resolves after their commit (coalesced with concurrent deliveries). */
    inbox: InboxInserter;
    onInboxInsert?: () => void;
  },
): void {
  // Raw bytes for this route only: the signature covers the body exactly as sent.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  scope.post('/webhooks/hubspot', async (req, reply) => {
    const secret = deps.env.HUBSPOT_CLIENT_SECRET;
    if (!secret) {
      throw new SwitchboardError(
        'WEBHOOK.NOT_CONFIGURED',
        'HubSpot webhooks are refused until HUBSPOT_CLIENT_SECRET (the app client secret) is set.',
        401,
      );
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyHubSpotSignature(
      {
        method: req.method,
        uri: publicUri(req, deps.env.PUBLIC_URL),
        rawBody: raw,
        headers: req.headers,
      },
      { secret, now: deps.clock.now(), acceptV1V2: deps.env.HUBSPOT_ACCEPT_V1V2 },
    );
    if (!check.ok) {
      throw new SwitchboardError('WEBHOOK.BAD_SIGNATURE', SIGNATURE_MESSAGES[check.reason], 401, {
        reason: check.reason,
      });
    }
    let body: unknown;
    try {
      body = sjson.parse(raw.toString('utf8'), undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
    } catch (err) {
      throw new SwitchboardError(
        'WEBHOOK.MALFORMED',
        `The body is not valid JSON: ${(err as Error).message}`,
        400,
      );
    }
    const delivery = parseHubSpotDelivery(body, {
      rerouteOn: deps.env.HUBSPOT_REROUTE_ON,
      engagementProperties: deps.env.HUBSPOT_ENGAGEMENT_PROPERTIES,
    });
    const { inserted } = await deps.inbox.insert(delivery.events);
    if (inserted > 0) deps.onInboxInsert?.();
    logFields(req, {
      signature: check.version,
      received: (body as unknown[]).length,
      stored: inserted,
      ignored: delivery.ignored,
    });
    return reply.status(200).send({
      received: (body as unknown[]).length,
      stored: inserted,
      duplicates: delivery.events.length - inserted,
      ignored: delivery.ignored,
    });
  });
}

const SIGNATURE_MESSAGES = {
  missing: 'Missing X-HubSpot-Signature-v3 header: only signed HubSpot deliveries are accepted.',
  stale:
    'X-HubSpot-Request-Timestamp is more than 5 minutes from the server clock; refusing a possible replay.',
  bad_timestamp: 'X-HubSpot-Request-Timestamp is missing or not epoch milliseconds.',
  mismatch:
    'The HubSpot signature does not match. Check HUBSPOT_CLIENT_SECRET and that PUBLIC_URL is the URL HubSpot calls.',
  version_not_accepted:
    'Only v3 signatures are accepted; set HUBSPOT_ACCEPT_V1V2=true to accept v1/v2 (workflow webhooks).',
} as const;

/** The URI HubSpot signed: PUBLIC_URL + path and query, or the request's own URL without it. */
export function publicUri(req: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '') + req.url;
  return `${req.protocol}://${req.host}${req.url}`;
}
