/**
 * The X-Request-Id of this tab's writes: the tab's own id and a sequence number. Live updates
 * (live-updates.ts) recognise this tab's writes by it and skip their events (already applied).
 */
function randomId(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto?.getRandomValues?.(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** This tab's id, the prefix of the X-Request-Id of each write it sends. */
export const TAB_ID = `web-${randomId()}`;
let requestSequence = 0;

/** The X-Request-Id of this tab's next write. */
export function nextRequestId(): string {
  requestSequence += 1;
  return `${TAB_ID}.${requestSequence}`;
}
