# The seed trellis's code unit (fpga/README.md, "Trellis presets"): RTL
# checked against core's TrellisCode; there is no trellis engine.
add_library(seedlm_fpga_trellis_models STATIC)
seedlm_verilate(seedlm_fpga_trellis_models PREFIX Vtrellis_code
  TOP seedlm_trellis_code
  SOURCES ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_trellis_code.v
  PARAMS -GN=8 -GR=4)
seedlm_test(fpga_trellis_code_test
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/sim/trellis_code_test.cc
  DEPS seedlm_fpga_trellis_models seedlm_codec)
