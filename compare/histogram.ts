/**
 * Latency distributions as HDR histograms: every sample is kept at 3 significant digits
 * over 1 µs .. 1 h, so p99.9 and max are exact to 0.1 % however many samples there are.
 */
import * as hdr from "hdr-histogram-js";

/** Percentiles every summary reports. */
export const reportedPercentiles = [50, 90, 99, 99.9] as const;

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One point of a latency CDF: `percentile` % of requests took at most `ms`. */
export interface CdfPoint {
  percentile: number;
  ms: number;
}

const HIGHEST_MICROS = 3_600_000_000;

export class LatencyHistogram {
  // Stryker disable next-line ObjectLiteral: hdr.build merges these options over its defaults (lowestDiscernibleValue 1, 3 digits, no WebAssembly, autoResize true): with autoResize the highestTrackableValue only sizes the first allocation, and record() clamps to 1 h itself
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
    // The pure-JS implementation: no WebAssembly to initialise, same maths.
    useWebAssembly: false,
  });

  /** Records one latency in milliseconds (fractions kept to the microsecond). */
  record(ms: number): void {
    const micros = Math.min(HIGHEST_MICROS, Math.max(1, Math.round(ms * 1000)));
    this.histogram.recordValue(micros);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency (ms) at or below which `percentile` % of the recorded values fall. */
  at(percentile: number): number {
    if (this.count === 0) return NaN;
    // A bucket's upper edge can lie above the largest value recorded; never report more than it.
    return Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue) / 1000;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    const ms = (micros: number) => (empty ? NaN : micros / 1000);
    return {
      count: this.count,
      min: ms(this.histogram.minNonZeroValue),
      mean: ms(this.histogram.mean),
      p50: this.at(50),
      p90: this.at(90),
      p99: this.at(99),
      p999: this.at(99.9),
      max: ms(this.histogram.maxValue),
    };
  }

  /**
   * Every recorded value rounded up to the whole millisecond, with its count: what billing
   * needs (every vendor's increment is whole milliseconds, so rounding to the ms first
   * changes no billed figure beyond the histogram's own 0.1 % precision). A bucket counts
   * at its lowest value, so 50.000 ms stays 50 ms instead of its bucket's upper edge 50.03.
   */
  wholeMs(): { ms: number; count: number }[] {
    const counts = new Map<number, number>();
    // `useWebAssembly: false` builds a JsHistogram, the class that exposes its iterators.
    const histogram = this.histogram as unknown as hdr.JsHistogram;
    const iterator = histogram.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const value = iterator.next();
      const ms = Math.max(1, Math.ceil(histogram.lowestEquivalentValue(value.valueIteratedTo) / 1000));
      counts.set(ms, (counts.get(ms) ?? 0) + value.countAtValueIteratedTo);
    }
    // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: the recorded-values iterator walks buckets in ascending order and ceil(lowestEquivalentValue / 1000) is non-decreasing, so the map is already sorted: removing or changing the sort changes nothing
    return [...counts].sort((a, b) => a[0] - b[0]).map(([ms, count]) => ({ ms, count }));
  }

  /** CDF sampled densely in the tail, where latency distributions differ. */
  cdf(): CdfPoint[] {
    if (this.count === 0) return [];
    const grid = [
      ...Array.from({ length: 19 }, (_, i) => (i + 1) * 5), // 5 .. 95
      96, 97, 98, 99, 99.5, 99.9, 99.99, 100,
    ];
    return [{ percentile: 0, ms: this.summary().min }, ...grid.map((percentile) => ({ percentile, ms: this.at(percentile) }))];
  }
}
