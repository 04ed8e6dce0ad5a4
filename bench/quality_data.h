// The data sets of the quality bench (quality.h) and how blocks are picked
// from them.
//
// A data set is a list of float32 row-major matrices:
//   - Gaussian: one [rows, cols] matrix of i.i.d. N(0, sigma^2) weights drawn
//     with std::mt19937_64(seed) and std::normal_distribution<double> (the
//     same engine seed for every sigma, so the data sets differ only in
//     scale), each draw rounded to float32, filled row-major.
//   - Model: the linear tensors of a checkpoint (TensorSelector's default set:
//     wq wk wv wo w1 w2 w3 of every layer), shape [out, in], in file order.
//
// Blocks follow spec §10: C consecutive weights along a row, each row
// zero-padded to whole blocks.
#ifndef SEEDLM_BENCH_QUALITY_DATA_H_
#define SEEDLM_BENCH_QUALITY_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seedlm {

struct Matrix {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> w;  // rows * cols, row-major

  // Blocks of C weights per row (the last one zero-padded).
  int64_t BlocksPerRow(int C) const { return (cols + C - 1) / C; }
  int64_t NumBlocks(int C) const { return rows * BlocksPerRow(C); }
};

struct DataSet {
  std::string name;  // "gaussian-0.02", "model"
  std::vector<Matrix> matrices;

  int64_t NumBlocks(int C) const;
  int64_t NumWeights() const;
};

// One block of a data set: matrix index, row, and first column.
struct BlockRef {
  int32_t matrix = 0;
  int64_t row = 0;
  int64_t col0 = 0;
};

// The Gaussian data set described above, named "gaussian-<sigma>" (sigma
// printed in shortest form, e.g. "gaussian-0.005").
DataSet MakeGaussian(double sigma, int64_t rows, int64_t cols, uint64_t seed);
// Heavy-tailed: i.i.d. Student-t with 4 degrees of freedom scaled to standard
// deviation sigma (std::student_t_distribution<double> on the same engine),
// named "student-t4-<sigma>"; kurtosis is infinite, so a few weights are far
// out, as in real checkpoints.
DataSet MakeStudentT4(double sigma, int64_t rows, int64_t cols, uint64_t seed);

// The model's selected linear tensors (OpenModel + default TensorSelector),
// as float32. NOT_FOUND etc. as OpenModel; FAILED_PRECONDITION if no tensor
// is selected.
absl::StatusOr<DataSet> LoadModelDataSet(const std::string& path);

// Every block of rows [0, rows) of every matrix, row by row.
std::vector<BlockRef> LeadingRowBlocks(const DataSet& data, int C,
                                       int64_t rows);

// A deterministic, evenly spread sample of n blocks over all matrices: matrix
// t gets n_t blocks, n_t proportional to its block count B_t (floor of the
// quota, the remainder going to the largest fractional parts, ties to the
// earlier matrix), and within it the blocks numbered floor((2i+1) B_t /
// (2 n_t)), i < n_t, in row-major block order. n <= 0 or n >= all blocks:
// every block.
std::vector<BlockRef> SampleBlocks(const DataSet& data, int C, int64_t n);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_QUALITY_DATA_H_
