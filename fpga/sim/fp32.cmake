# fp32 arithmetic RTL (fpga/rtl/fp32_fma.v, fp32_from_int.v): each module
# Verilated as its own top into seedlm_fpga_fp32_models, and fpga_fp32_test,
# which checks them bit for bit against the CPU (std::fmaf, a*b, a+b,
# (float)v) on random and special inputs.
add_library(seedlm_fpga_fp32_models STATIC)
seedlm_verilate(seedlm_fpga_fp32_models PREFIX Vfp32_fma TOP fp32_fma
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/rtl/fp32_fma.v)
seedlm_verilate(seedlm_fpga_fp32_models PREFIX Vfp32_from_int
  TOP fp32_from_int SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/rtl/fp32_from_int.v)

seedlm_test(fpga_fp32_test SRCS sim/fp32_test.cc
  DEPS seedlm_fpga_fp32_models absl::str_format)
# Verilator's own headers do not build warning-free under -Wall -Wextra
# -Werror (unused parameters): make them system headers for the test.
target_include_directories(fpga_fp32_test SYSTEM PRIVATE
  ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
