# The host side of `seedlm-executor --kind fpga-sim` (fpga_linear.h): a
# model's packed linear layers served by the simulated engine
# (seedlm_fpga_engine, sim/engine.cmake). executor/ links it and defines
# SEEDLM_HAVE_FPGA_SIM when this file is built (SEEDLM_FPGA).
add_library(seedlm_fpga_host host/fpga_linear.cc)
target_link_libraries(seedlm_fpga_host PUBLIC seedlm_fpga_engine seedlm_runtime
  absl::status absl::statusor absl::strings)

# Against a fake engine on stories260K: only packed linears replaced,
# logits bit for bit, cycles counted, engine errors surface.
seedlm_test(fpga_linear_test SRCS host/fpga_linear_test.cc
  DEPS seedlm_fpga_host seedlm_compress)
