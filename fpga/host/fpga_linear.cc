#include "fpga/host/fpga_linear.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/runtime/trellis_linear.h"
#include "core/util/status_macros.h"

namespace seedlm::fpga {

std::string CodecText(const CodecConfig& codec) {
  std::string name = PresetName(codec);
  if (!name.empty()) return name;
  if (codec.is_trellis()) return "seed-trellis (non-preset)";
  return absl::StrCat("C", codec.C, " P", codec.P, " K", codec.K, " Q", codec.Q,
                      " E", codec.E, " ", VariantName(codec.variant));
}

FpgaDevice::FpgaDevice(EngineOptions options, EngineFactory factory)
    : options_(options),
      factory_(factory != nullptr
                   ? std::move(factory)
                   : [](const CodecConfig& c, const EngineOptions& o) {
                       return CreatePackedEngine(c, o);
                     }) {}

absl::StatusOr<PackedEngine*> FpgaDevice::Engine(const CodecConfig& codec) {
  MutexLock lock(&mu_);
  for (const std::unique_ptr<PackedEngine>& e : engines_) {
    if (e->codec() == codec) return e.get();
  }
  absl::StatusOr<std::unique_ptr<PackedEngine>> made =
      factory_(codec, options_);
  if (!made.ok()) {
    return absl::Status(
        made.status().code(),
        absl::StrCat("no FPGA engine for codec ", CodecText(codec), ": ",
                     made.status().message()));
  }
  engines_.push_back(std::move(*made));
  return engines_.back().get();
}

void FpgaDevice::MatVec(PackedEngine* engine, const kernels::PackedView& m,
                        const float* x, int64_t row_begin, int64_t row_end,
                        float* y) {
  absl::StatusOr<MatVecStats> stats;
  {
    MutexLock lock(&mu_);  // one call at a time: one simulated chip
    stats = engine->MatVec(m, x, row_begin, row_end, y);
    if (!stats.ok() && status_.ok()) {
      status_ =
          absl::Status(stats.status().code(),
                       absl::StrCat("FPGA engine (", engine->description(),
                                    ") on a ", m.rows, " x ", m.cols,
                                    " matrix: ", stats.status().message()));
    }
  }
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (!stats.ok()) {
    std::fill(y, y + (row_end - row_begin),
              std::numeric_limits<float>::quiet_NaN());
    return;
  }
  cycles_.fetch_add(stats->cycles, std::memory_order_relaxed);
}

absl::Status FpgaDevice::status() const {
  MutexLock lock(&mu_);
  return status_;
}

std::string FpgaDevice::description() const {
  MutexLock lock(&mu_);
  if (engines_.empty()) return "no engine yet";
  return absl::StrJoin(engines_, "; ", [](std::string* out, const auto& e) {
    absl::StrAppend(out, e->description());
  });
}

FpgaLinear::FpgaLinear(std::unique_ptr<PackedLinear> original,
                       FpgaDevice* device, PackedEngine* engine)
    : LinearWeight(original->rows(), original->cols()),
      original_(std::move(original)),
      device_(device),
      engine_(engine) {}

void FpgaLinear::GetRow(int64_t r, float* out) const {
  original_->GetRow(r, out);
}

void FpgaLinear::MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                            float* y) const {
  device_->MatVec(engine_, original_->view(), x, row_begin, row_end, y);
}

void FpgaLinear::MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                            int64_t row_end, float* y) const {
  for (int64_t b = 0; b < batch; ++b) {
    device_->MatVec(engine_, original_->view(), x + b * cols(), row_begin,
                    row_end, y + b * rows() + row_begin);
  }
}

uint64_t FpgaLinear::StorageBytes() const { return original_->StorageBytes(); }

namespace {

// The per-layer matrices a wrapper may replace, with their names.
std::vector<std::pair<const char*, std::unique_ptr<LinearWeight>*>> Matrices(
    LlamaModel::Layer& L) {
  return {{"wq", &L.wq}, {"wk", &L.wk}, {"wv", &L.wv}, {"wo", &L.wo},
          {"w1", &L.w1}, {"w2", &L.w2}, {"w3", &L.w3}};
}

}  // namespace

absl::StatusOr<int> WrapPackedLinears(LlamaModel* model, FpgaDevice* device) {
  // First every check (and engine), then the swap: an error changes nothing.
  std::vector<std::pair<std::unique_ptr<LinearWeight>*, PackedEngine*>> todo;
  for (int i = model->layer_begin(); i < model->layer_end(); ++i) {
    for (auto& [name, w] : Matrices(model->mutable_layer(i))) {
      if (const auto* t = dynamic_cast<const TrellisLinear*>(w->get())) {
        return absl::UnimplementedError(absl::StrCat(
            "layer ", i, " ", name, " is seed-trellis (codec ",
            CodecText(t->codec()),
            "): the FPGA engine runs the block codecs only; serve this "
            "model with --kind cpu"));
      }
      const auto* p = dynamic_cast<const PackedLinear*>(w->get());
      if (p == nullptr) continue;  // dense: stays on the CPU
      ASSIGN_OR_RETURN(PackedEngine * engine, device->Engine(p->codec()));
      todo.emplace_back(w, engine);
    }
  }
  if (todo.empty() && model->layer_begin() < model->layer_end()) {
    return absl::UnimplementedError(
        absl::StrCat("layers [", model->layer_begin(), ", ", model->layer_end(),
                     ") hold no seedlm-packed weight: nothing for the FPGA "
                     "engine to run; serve this model with --kind cpu"));
  }
  for (auto& [w, engine] : todo) {
    std::unique_ptr<PackedLinear> packed(
        static_cast<PackedLinear*>(w->release()));
    *w = std::make_unique<FpgaLinear>(std::move(packed), device, engine);
  }
  return static_cast<int>(todo.size());
}

}  // namespace seedlm::fpga
