/**
 * HubSpot has no idempotency key (PROTOCOLS §2.2), so each task and note Switchboard creates ends
 * with a visible reference line carrying the outbox key. After a crash between "HubSpot accepted"
 * and "we recorded it", the retry searches the contact's tasks / notes for that line before
 * creating, so the rep still sees exactly one.
 */
export const markerFor = (key: string, part: 'task' | 'note'): string =>
  `Switchboard ref ${key}/${part}`;

export const hasMarker = (text: unknown, key: string, part: 'task' | 'note'): boolean =>
  typeof text === 'string' && text.includes(markerFor(key, part));
