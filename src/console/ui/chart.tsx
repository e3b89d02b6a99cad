/**
 * A time chart in hand-written SVG: lines and bars over time buckets, drawn at the container's real
 * width (so its text stays legible on a phone). Accessible: the SVG is an image with a title and a
 * summary in words, and a visually hidden table carries every number.
 */
import { useId, useRef } from 'preact/hooks';
import { axisTime, count, localTime } from '../format.ts';
import { useWidth } from './hooks.ts';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly number[];
  /** `line` solid, `dashed` a dashed line, `bars` columns: the legend names each, so colour is not alone. */
  readonly mark: 'line' | 'dashed' | 'bars';
  readonly tone: 'accent' | 'second' | 'bad' | 'muted';
}

export interface TimeChartProps {
  readonly title: string;
  /** What the chart shows, in one or two sentences (read by screen readers; shown under it too). */
  readonly summary: string;
  readonly times: readonly number[];
  readonly stepMs: number;
  readonly series: readonly ChartSeries[];
  readonly height?: number;
}

/** A round number at or above `max` for the top of the axis (1, 2, 5 × 10ⁿ). */
function niceCeil(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const PAD = { left: 52, right: 12, top: 12, bottom: 28 };

export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 640);
  const id = useId();
  const height = props.height ?? 200;
  const n = props.times.length;
  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = height - PAD.top - PAD.bottom;
  const top = niceCeil(Math.max(0, ...props.series.flatMap((s) => s.values)));
  const slot = n === 0 ? plotW : plotW / n;
  const x = (i: number) => PAD.left + slot * (i + 0.5);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const span = n === 0 ? 0 : (props.times[n - 1] ?? 0) - (props.times[0] ?? 0) + props.stepMs;
  const labels = Math.max(2, Math.min(6, Math.floor(plotW / 90)));
  const labelAt =
    n <= 1 ? [0] : Array.from({ length: labels }, (_, k) => Math.round((k * (n - 1)) / (labels - 1)));
  const bars = props.series.filter((s) => s.mark === 'bars');
  const barW = Math.max(1, (slot * 0.8) / Math.max(1, bars.length));

  return (
    <figure class="chart">
      <div class="chart-box" ref={box}>
        <svg width={width} height={height} role="img" aria-labelledby={`${id}-t ${id}-d`}>
          <title id={`${id}-t`}>{props.title}</title>
          <desc id={`${id}-d`}>{props.summary}</desc>
          {ticks.map((t) => (
            <g key={t}>
              <line class="chart-grid" x1={PAD.left} x2={PAD.left + plotW} y1={y(t)} y2={y(t)} />
              <text class="chart-label" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
                {count(t)}
              </text>
            </g>
          ))}
          {labelAt.map((i, k) =>
            props.times[i] === undefined ? null : (
              <text
                key={i}
                class="chart-label"
                x={k === 0 ? PAD.left : k === labelAt.length - 1 ? PAD.left + plotW : x(i)}
                y={height - 8}
                text-anchor={k === 0 ? 'start' : k === labelAt.length - 1 ? 'end' : 'middle'}
              >
                {axisTime(props.times[i], span)}
              </text>
            ),
          )}
          {bars.map((s, k) =>
            s.values.map((v, i) =>
              v <= 0 ? null : (
                <rect
                  key={`${k}-${i}`}
                  class={`chart-bar tone-${s.tone}`}
                  x={x(i) - (slot * 0.8) / 2 + k * barW}
                  y={y(v)}
                  width={barW}
                  height={Math.max(1, PAD.top + plotH - y(v))}
                />
              ),
            ),
          )}
          {props.series
            .filter((s) => s.mark !== 'bars')
            .map((s) => (
              <polyline
                key={s.label}
                class={`chart-line tone-${s.tone}${s.mark === 'dashed' ? ' chart-dashed' : ''}`}
                points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
              />
            ))}
        </svg>
      </div>
      <figcaption>
        <ul class="legend">
          {props.series.map((s) => (
            <li key={s.label}>
              <svg width="22" height="12" aria-hidden="true">
                {s.mark === 'bars' ? (
                  <rect class={`chart-bar tone-${s.tone}`} x="6" y="1" width="10" height="10" />
                ) : (
                  <line
                    class={`chart-line tone-${s.tone}${s.mark === 'dashed' ? ' chart-dashed' : ''}`}
                    x1="1"
                    x2="21"
                    y1="6"
                    y2="6"
                  />
                )}
              </svg>
              {s.label} ({s.mark === 'bars' ? 'bars' : s.mark === 'dashed' ? 'dashed line' : 'solid line'})
            </li>
          ))}
        </ul>
        <p class="chart-summary">{props.summary}</p>
      </figcaption>
      <div class="visually-hidden">
        <table>
          <caption>{props.title}: every bucket</caption>
          <thead>
            <tr>
              <th scope="col">Bucket starting</th>
              {props.series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.times.map((at, i) => (
              <tr key={at}>
                <th scope="row">{localTime(at)}</th>
                {props.series.map((s) => (
                  <td key={s.label}>{count(s.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
