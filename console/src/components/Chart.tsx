// A time-series chart (uPlot: small, fast, canvas). `series` share the x axis (Unix seconds).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Formats a value for the axis and the legend. */
  format?: (value: number) => string;
  /** Draw as bars (default: line). */
  bars?: boolean;
  /** Mark every value with a dot (for sparse series with gaps, where a lone value draws no line). */
  points?: boolean;
}

export interface ChartProps {
  /** Accessible name of the chart (also its visible caption). */
  title: string;
  /** x values: Unix seconds. */
  times: number[];
  series: ChartSeries[];
  height?: number;
}

export function Chart({ title, times, series, height = 220 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const format = series[0]?.format ?? ((v: number) => String(v));
    // Bars are centred on their x: widen the range by half a step so the first and last show whole.
    const half = series.some((s) => s.bars) && times.length > 1 ? (times[1]! - times[0]!) / 2 : 0;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, ...(half ? { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min - half, max + half] } : {}) },
      },
      axes: [
        { stroke: '#475569', grid: { stroke: '#e2e8f0' } },
        {
          stroke: '#475569',
          grid: { stroke: '#e2e8f0' },
          size: 64,
          values: (_u, values) => values.map((v) => format(v)),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: s.bars ? s.color : `${s.color}22`,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : (s.format ?? format)(v)),
          ...(s.bars ? { paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } } : {}),
          ...(s.points ? { points: { show: true, size: 6, fill: s.color } } : {}),
        })),
      ],
    };
    const plot = new uPlot(options, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={title} />
    </figure>
  );
}
