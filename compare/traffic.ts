/**
 * Traffic shapes for the cost estimates (`--traffic`, the requirements' `traffic`): when in the
 * month the requests come. Request-billed platforms are insensitive to them; instance-billed
 * time (Azure Flex activity, warm capacity) is not.
 */

/** When in the month the requests come. */
export const trafficShapes = ["steady", "business-hours", "spiky"] as const;
export type TrafficShape = (typeof trafficShapes)[number];

/** A part of the month: its share of the time and of the requests; arrivals spread evenly within it. */
export interface TrafficSegment {
  name: string;
  timeShare: number;
  requestShare: number;
}

/**
 * The shapes as parts of the month. Within each part requests arrive at a constant rate
 * (independently, a Poisson process: "evenly spread", with the bunching independent arrivals
 * have). What each shape means is stated in every report that uses it.
 * - steady: the whole month at one rate.
 * - business-hours: 90 % of the requests in 10 h on 5 weekdays (50 of 168 h a week), the rest
 *   spread over the other 118 h.
 * - spiky: one hour a day at 10× the day's mean rate (10/24 of the requests in 1/24 of the
 *   time), the rest spread over the other 23 h.
 */
export const trafficSegments: Record<TrafficShape, TrafficSegment[]> = {
  steady: [{ name: "all month", timeShare: 1, requestShare: 1 }],
  "business-hours": [
    { name: "business hours", timeShare: 50 / 168, requestShare: 0.9 },
    { name: "nights and weekends", timeShare: 118 / 168, requestShare: 0.1 },
  ],
  spiky: [
    { name: "peak hour", timeShare: 1 / 24, requestShare: 10 / 24 },
    { name: "other hours", timeShare: 23 / 24, requestShare: 14 / 24 },
  ],
};

export const trafficDescriptions: Record<TrafficShape, string> = {
  steady: "steady: one rate all month",
  "business-hours": "business-hours: 90 % of the requests in 50 h a week (weekdays 10 h), 10 % in the other 118 h",
  spiky: "spiky: one hour a day at 10× the day's mean rate, the rest evenly",
};

export function parseTrafficShape(value: string): TrafficShape {
  if (!(trafficShapes as readonly string[]).includes(value)) throw new Error(`--traffic must be one of ${trafficShapes.join(", ")} (got ${JSON.stringify(value)})`);
  return value as TrafficShape;
}
