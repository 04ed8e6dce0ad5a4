# The engine's Verilated models and the C++ harness around them
# (engine.h). PLACEHOLDER until the RTL lands: CreatePackedEngine answers
# UNIMPLEMENTED.
add_library(seedlm_fpga_engine sim/engine.cc)
target_link_libraries(seedlm_fpga_engine PUBLIC seedlm_runtime absl::status
  absl::statusor absl::strings)
