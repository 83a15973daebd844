/**
 * Durations in routing.yaml: `90s`, `10m`, `4h`, `2d`, `1w`. Minutes and hours are counted in
 * business time by the SLA and fallback code; days and weeks mean working days on the calendar
 * (see business-time.ts), which is what "2d" means to a sales team.
 */
export type DurationUnit = 's' | 'm' | 'h' | 'd' | 'w';

export interface Duration {
  /** As written, e.g. `10m`. */
  text: string;
  value: number;
  unit: DurationUnit;
  /** Wall-clock length in ms (d = 24 h, w = 7 d): used where no calendar applies (review_every). */
  ms: number;
}

const UNIT_MS: Record<DurationUnit, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/;

/** Parses `10m` / `4h` / `2d`; returns null when the text is not a duration. */
export function parseDuration(text: string): Duration | null {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]);
  const unit = m[2] as DurationUnit;
  if (!Number.isFinite(value) || value <= 0) return null;
  return { text: text.trim(), value, unit, ms: value * UNIT_MS[unit] };
}
