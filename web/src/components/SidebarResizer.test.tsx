import { fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SIDEBAR_DEFAULT,
  SIDEBAR_MAX,
  SIDEBAR_MIN,
  SidebarResizer,
  useSidebarWidth,
} from './SidebarResizer';

function Harness() {
  const [width, setWidth] = useSidebarWidth();
  return (
    <div>
      <SidebarResizer width={width} onChange={setWidth} label="Resize categories" />
      <output data-testid="width">{width}</output>
    </div>
  );
}

const separator = () => screen.getByRole('separator', { name: 'Resize categories' });
const valueNow = () => Number(separator().getAttribute('aria-valuenow'));

describe('SidebarResizer', () => {
  beforeEach(() => window.localStorage.clear());

  it('is a focusable vertical separator with its value and limits', () => {
    render(<Harness />);
    expect(separator().getAttribute('aria-orientation')).toBe('vertical');
    expect(separator().tabIndex).toBe(0);
    expect(valueNow()).toBe(SIDEBAR_DEFAULT);
    expect(Number(separator().getAttribute('aria-valuemin'))).toBe(SIDEBAR_MIN);
    expect(Number(separator().getAttribute('aria-valuemax'))).toBe(SIDEBAR_MAX);
  });

  it('resizes with the arrow keys (Shift for larger steps), Home, End and Enter', () => {
    render(<Harness />);
    fireEvent.keyDown(separator(), { key: 'ArrowRight' });
    expect(valueNow()).toBe(SIDEBAR_DEFAULT + 16);
    fireEvent.keyDown(separator(), { key: 'ArrowLeft', shiftKey: true });
    expect(valueNow()).toBe(SIDEBAR_DEFAULT + 16 - 64);
    fireEvent.keyDown(separator(), { key: 'End' });
    expect(valueNow()).toBe(SIDEBAR_MAX);
    fireEvent.keyDown(separator(), { key: 'ArrowRight' });
    expect(valueNow()).toBe(SIDEBAR_MAX);
    fireEvent.keyDown(separator(), { key: 'Home' });
    expect(valueNow()).toBe(SIDEBAR_MIN);
    fireEvent.keyDown(separator(), { key: 'ArrowLeft' });
    expect(valueNow()).toBe(SIDEBAR_MIN);
    fireEvent.keyDown(separator(), { key: 'Enter' });
    expect(valueNow()).toBe(SIDEBAR_DEFAULT);
  });

  it('remembers the width across a remount', () => {
    const { unmount } = render(<Harness />);
    fireEvent.keyDown(separator(), { key: 'ArrowRight' });
    unmount();
    render(<Harness />);
    expect(screen.getByTestId('width').textContent).toBe(String(SIDEBAR_DEFAULT + 16));
  });

  it('falls back to the default for a stored value that is not a number, and clamps one out of range', () => {
    window.localStorage.setItem('tag-manager.sidebar-width', 'wide');
    const first = render(<Harness />);
    expect(valueNow()).toBe(SIDEBAR_DEFAULT);
    first.unmount();
    window.localStorage.setItem('tag-manager.sidebar-width', '5000');
    render(<Harness />);
    expect(valueNow()).toBe(SIDEBAR_MAX);
  });
});
