#include "bench/quality_data.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/model/model_source.h"
#include "core/model/tensor_select.h"
#include "core/util/status_macros.h"

namespace seedlm {

int64_t DataSet::NumBlocks(int C) const {
  int64_t n = 0;
  for (const Matrix& m : matrices) n += m.NumBlocks(C);
  return n;
}

int64_t DataSet::NumWeights() const {
  int64_t n = 0;
  for (const Matrix& m : matrices) n += m.rows * m.cols;
  return n;
}

namespace {

// One rows x cols matrix of i.i.d. float32 draws of `draw(rng)` from
// std::mt19937_64(seed), row-major, as a data set named `name`.
template <typename Draw>
DataSet MakeIid(const std::string& name, int64_t rows, int64_t cols,
                uint64_t seed, Draw draw) {
  DataSet data;
  data.name = name;
  Matrix m;
  m.name = name;
  m.rows = rows;
  m.cols = cols;
  m.w.resize(static_cast<size_t>(rows * cols));
  std::mt19937_64 rng(seed);
  for (float& x : m.w) x = static_cast<float>(draw(rng));
  data.matrices.push_back(std::move(m));
  return data;
}

}  // namespace

DataSet MakeStudentT4(double sigma, int64_t rows, int64_t cols, uint64_t seed) {
  std::student_t_distribution<double> t(4.0);
  const double scale = sigma / std::sqrt(2.0);  // Var(t4) = 4 / (4 - 2)
  return MakeIid(absl::StrCat("student-t4-", sigma), rows, cols, seed,
                 [&](std::mt19937_64& rng) { return scale * t(rng); });
}

DataSet MakeGaussian(double sigma, int64_t rows, int64_t cols, uint64_t seed) {
  std::normal_distribution<double> normal(0.0, sigma);
  return MakeIid(absl::StrCat("gaussian-", sigma), rows, cols, seed,
                 [&](std::mt19937_64& rng) { return normal(rng); });
}

absl::StatusOr<DataSet> LoadModelDataSet(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> source, OpenModel(path));
  ASSIGN_OR_RETURN(TensorSelector selector, TensorSelector::Create({}, {}));
  DataSet data;
  data.name = "model";
  const std::vector<TensorInfo>& tensors = source->tensors();
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!selector.Selects(tensors[i])) continue;
    Matrix m;
    m.name = tensors[i].name;
    m.cols = tensors[i].shape.back();
    m.rows = NumElements(tensors[i].shape) / m.cols;
    ASSIGN_OR_RETURN(m.w, source->ReadFloat32(i));
    data.matrices.push_back(std::move(m));
  }
  if (data.matrices.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": no linear tensors to compress"));
  }
  return data;
}

std::vector<BlockRef> LeadingRowBlocks(const DataSet& data, int C,
                                       int64_t rows) {
  std::vector<BlockRef> out;
  for (size_t t = 0; t < data.matrices.size(); ++t) {
    const Matrix& m = data.matrices[t];
    for (int64_t r = 0; r < std::min(rows, m.rows); ++r) {
      for (int64_t c = 0; c < m.cols; c += C) {
        out.push_back({static_cast<int32_t>(t), r, c});
      }
    }
  }
  return out;
}

namespace {

// Largest-remainder apportionment of n over weights b (sum total > n).
std::vector<int64_t> Apportion(const std::vector<int64_t>& b, int64_t total,
                               int64_t n) {
  std::vector<int64_t> count(b.size());
  std::vector<std::pair<int64_t, size_t>> rem;  // (remainder numerator, t)
  int64_t given = 0;
  for (size_t t = 0; t < b.size(); ++t) {
    // n * b[t] fits easily in int64 for any realistic model.
    count[t] = n * b[t] / total;
    rem.push_back({n * b[t] % total, t});
    given += count[t];
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& x, const auto& y) {
    return x.first > y.first;
  });
  for (size_t i = 0; given < n && i < rem.size(); ++i, ++given) {
    ++count[rem[i].second];
  }
  return count;
}

}  // namespace

std::vector<BlockRef> SampleBlocks(const DataSet& data, int C, int64_t n) {
  const int64_t total = data.NumBlocks(C);
  if (n <= 0 || n >= total) {
    return LeadingRowBlocks(data, C, std::numeric_limits<int64_t>::max());
  }
  std::vector<int64_t> sizes;
  for (const Matrix& m : data.matrices) sizes.push_back(m.NumBlocks(C));
  const std::vector<int64_t> count = Apportion(sizes, total, n);
  std::vector<BlockRef> out;
  for (size_t t = 0; t < data.matrices.size(); ++t) {
    const int64_t per_row = data.matrices[t].BlocksPerRow(C);
    for (int64_t i = 0; i < count[t]; ++i) {
      const int64_t b = (2 * i + 1) * sizes[t] / (2 * count[t]);
      out.push_back({static_cast<int32_t>(t), b / per_row, (b % per_row) * C});
    }
  }
  return out;
}

}  // namespace seedlm
