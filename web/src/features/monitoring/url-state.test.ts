import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, formatLocation, parseLocation } from '../../lib/url-state';

describe('the monitoring view in the URL', () => {
  it('lives at /monitoring, both ways', () => {
    expect(parseLocation('/monitoring', '').view).toBe('monitoring');
    expect(formatLocation({ ...DEFAULT_STATE, view: 'monitoring' })).toBe('/monitoring');
  });
});
