import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UPlotChart } from './UPlotChart';

const made = vi.hoisted(
  () =>
    [] as {
      options: { width: number; height: number };
      data: unknown;
      target: HTMLElement;
      setData: ReturnType<typeof vi.fn>;
      setSize: ReturnType<typeof vi.fn>;
      destroy: ReturnType<typeof vi.fn>;
    }[],
);

vi.mock('uplot', () => ({
  default: class {
    width: number;
    setData = vi.fn();
    setSize = vi.fn((size: { width: number }) => {
      this.width = size.width;
    });
    destroy = vi.fn();
    constructor(options: { width: number; height: number }, data: unknown, target: HTMLElement) {
      this.width = options.width;
      made.push({
        options,
        data,
        target,
        setData: this.setData,
        setSize: this.setSize,
        destroy: this.destroy,
      });
    }
  },
}));

/** A ResizeObserver the test triggers by hand. */
class ManualResizeObserver {
  static instances: ManualResizeObserver[] = [];
  observed: Element[] = [];
  disconnected = false;
  constructor(private readonly callback: ResizeObserverCallback) {
    ManualResizeObserver.instances.push(this);
  }
  observe(target: Element) {
    this.observed.push(target);
  }
  unobserve() {}
  disconnect() {
    this.disconnected = true;
  }
  fire() {
    this.callback([], this as unknown as ResizeObserver);
  }
}

afterEach(() => {
  made.length = 0;
  ManualResizeObserver.instances = [];
  vi.unstubAllGlobals();
});

const options = { series: [{}, { label: 'A' }] };

describe('UPlotChart', () => {
  it('creates the chart once in its container, then only sets new data', () => {
    const first: [number[], number[]] = [[1], [2]];
    const { rerender } = render(<UPlotChart options={options} data={first} height={180} />);
    expect(made).toHaveLength(1);
    expect(made[0]!.target).toBe(screen.getByTestId('uplot-container'));
    expect(made[0]!.data).toBe(first);
    expect(made[0]!.options).toMatchObject({ height: 180, width: 600, series: options.series });
    expect(made[0]!.setData).not.toHaveBeenCalled();

    const second: [number[], number[]] = [
      [1, 2],
      [2, 3],
    ];
    rerender(<UPlotChart options={{ series: [{}] }} data={second} height={180} />);
    expect(made).toHaveLength(1);
    expect(made[0]!.setData).toHaveBeenCalledWith(second);
  });

  it('follows the width of its container and cleans up on unmount', () => {
    vi.stubGlobal('ResizeObserver', ManualResizeObserver);
    const { unmount } = render(<UPlotChart options={options} data={[[], []]} />);
    const container = screen.getByTestId('uplot-container');
    const [observer] = ManualResizeObserver.instances;
    expect(observer!.observed).toEqual([container]);

    Object.defineProperty(container, 'clientWidth', { configurable: true, value: 812.6 });
    observer!.fire();
    expect(made[0]!.setSize).toHaveBeenCalledWith({ width: 812, height: 220 });
    observer!.fire(); // same width: nothing to do
    expect(made[0]!.setSize).toHaveBeenCalledTimes(1);

    unmount();
    expect(observer!.disconnected).toBe(true);
    expect(made[0]!.destroy).toHaveBeenCalledTimes(1);
  });
});
