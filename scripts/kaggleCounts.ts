// The Criteo Kaggle table sizes (distinct values per categorical column C1-C26, missing-as-0 included),
// shared by the benchmarks that build the Kaggle-sized model.
export const KAGGLE_COUNTS: readonly number[] = [
  1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27, 14992, 5461306, 10, 5652, 2173,
  4, 7046547, 18, 15, 286181, 105, 142572,
];
