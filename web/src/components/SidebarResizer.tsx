/**
 * A vertical splitter for a sidebar (WAI-ARIA window splitter pattern): drag it, or focus it and
 * use ←/→ (Shift for larger steps), Home/End for the minimum/maximum, Enter for the default.
 * The width is kept in localStorage, so it survives a reload.
 */
import { useCallback, useRef, useState } from 'react';

export const SIDEBAR_MIN = 240;
export const SIDEBAR_MAX = 640;
export const SIDEBAR_DEFAULT = 320;
const STORAGE_KEY = 'tag-manager.sidebar-width';

const clamp = (width: number) => Math.round(Math.min(SIDEBAR_MAX, Math.max(SIDEBAR_MIN, width)));

function storedWidth(): number {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    const value = raw === null ? NaN : Number(raw);
    return Number.isFinite(value) ? clamp(value) : SIDEBAR_DEFAULT;
  } catch {
    return SIDEBAR_DEFAULT;
  }
}

/** The sidebar width in pixels and its setter (clamped, remembered). */
export function useSidebarWidth(): [number, (width: number) => void] {
  const [width, setWidth] = useState(storedWidth);
  const update = useCallback((next: number) => {
    const value = clamp(next);
    setWidth(value);
    try {
      window.localStorage.setItem(STORAGE_KEY, String(value));
    } catch {
      // Storage can be unavailable (private mode, quota); the width then lasts for the visit.
    }
  }, []);
  return [width, update];
}

interface SidebarResizerProps {
  width: number;
  onChange: (width: number) => void;
  label: string;
  controls?: string;
}

export function SidebarResizer({ width, onChange, label, controls }: SidebarResizerProps) {
  const drag = useRef<{ startX: number; startWidth: number } | null>(null);
  const [dragging, setDragging] = useState(false);

  const onKeyDown = (event: React.KeyboardEvent) => {
    const step = event.shiftKey ? 64 : 16;
    const target =
      event.key === 'ArrowLeft'
        ? width - step
        : event.key === 'ArrowRight'
          ? width + step
          : event.key === 'Home'
            ? SIDEBAR_MIN
            : event.key === 'End'
              ? SIDEBAR_MAX
              : event.key === 'Enter'
                ? SIDEBAR_DEFAULT
                : null;
    if (target === null) return;
    event.preventDefault();
    event.stopPropagation();
    onChange(target);
  };

  return (
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-controls={controls}
      aria-valuemin={SIDEBAR_MIN}
      aria-valuemax={SIDEBAR_MAX}
      aria-valuenow={width}
      aria-valuetext={`${width} pixels`}
      tabIndex={0}
      title="Drag, or focus and use the arrow keys, to resize"
      className={`sidebar-resizer${dragging ? ' dragging' : ''}`}
      data-testid="sidebar-resizer"
      onKeyDown={onKeyDown}
      onDoubleClick={() => onChange(SIDEBAR_DEFAULT)}
      onPointerDown={(event) => {
        if (event.button !== 0) return;
        event.preventDefault();
        event.currentTarget.setPointerCapture(event.pointerId);
        drag.current = { startX: event.clientX, startWidth: width };
        setDragging(true);
      }}
      onPointerMove={(event) => {
        if (!drag.current) return;
        onChange(drag.current.startWidth + event.clientX - drag.current.startX);
      }}
      onPointerUp={(event) => {
        drag.current = null;
        setDragging(false);
        event.currentTarget.releasePointerCapture(event.pointerId);
      }}
      onPointerCancel={() => {
        drag.current = null;
        setDragging(false);
      }}
    />
  );
}
