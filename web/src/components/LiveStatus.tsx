/**
 * The live-updates status line in the header: a dot (live, connecting, reconnecting) and a
 * quiet "Updated by <actor>" after someone else's change (docs/live-updates.md). A polite live
 * region: screen readers hear it without interruption.
 */
import { useLiveState, type LiveStore } from '../api/live-updates';

const timeFormat = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });

const STATUS_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  off: 'Not live',
} as const;

export function LiveStatus({ store }: { store?: LiveStore }) {
  const { status, notice } = useLiveState(store);
  const text =
    status === 'live' && notice
      ? `Updated by ${notice.actor} at ${timeFormat.format(notice.at)}`
      : STATUS_TEXT[status];
  return (
    <span
      className={`live-status live-${status}`}
      role="status"
      aria-live="polite"
      title={status === 'live' ? 'Changes by others appear here as they happen' : text}
      data-testid="live-status"
    >
      <span className="live-dot" aria-hidden="true" />
      <span className="live-text">{text}</span>
    </span>
  );
}
