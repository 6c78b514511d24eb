/**
 * A uPlot chart as a React component: created once on mount with the first options, given new
 * data with `setData`, resized with its container (ResizeObserver) and destroyed on unmount.
 * Changing `options` after mount has no effect; remount (a new `key`) to change them.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface UPlotChartProps {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height?: number;
}

const FALLBACK_WIDTH = 600;

export function UPlotChart({ options, data, height = 220 }: UPlotChartProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<uPlot | null>(null);
  const initial = useRef({ options, data, height });

  useEffect(() => {
    const container = containerRef.current!;
    const { options: first, data: firstData, height: chartHeight } = initial.current;
    const width = () => Math.floor(container.clientWidth) || FALLBACK_WIDTH;
    const chart = new uPlot(
      { ...first, width: width(), height: chartHeight },
      firstData,
      container,
    );
    chartRef.current = chart;
    let observer: ResizeObserver | undefined;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => {
        const next = width();
        if (next !== chart.width) chart.setSize({ width: next, height: chartHeight });
      });
      observer.observe(container);
    }
    return () => {
      observer?.disconnect();
      chart.destroy();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    if (data !== initial.current.data) chartRef.current?.setData(data);
  }, [data]);

  return <div ref={containerRef} className="uplot-container" data-testid="uplot-container" />;
}
