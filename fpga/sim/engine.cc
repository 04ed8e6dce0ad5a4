#include "fpga/sim/engine.h"

#include "absl/status/status.h"

namespace seedlm::fpga {

// Placeholder until the Verilated engine lands.
absl::StatusOr<std::unique_ptr<PackedEngine>> CreatePackedEngine(
    const CodecConfig& /*codec*/, const EngineOptions& /*options*/) {
  return absl::UnimplementedError("the FPGA engine RTL is not built yet");
}

}  // namespace seedlm::fpga
