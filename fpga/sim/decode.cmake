# The block decoder (fpga/rtl/seedlm_block_decode.v: seed matrix, exact
# sums, weights) Verilated for every block preset with the xor-network
# generator (GEN=0), and with the stepped LFSR (GEN=1) for 4bit-p4 and 4bit;
# fpga_decode_test checks them against the core's normative decode.
add_library(seedlm_fpga_decode_models STATIC)
# seedlm_decode_model(NAME C P K Q E VARIANT GEN): class V<NAME>.
function(seedlm_decode_model name c p k q e variant gen)
  seedlm_verilate(seedlm_fpga_decode_models PREFIX V${name}
    TOP seedlm_block_decode SOURCES rtl/seedlm_block_decode.v
    PARAMS -GC=${c} -GP=${p} -GK=${k} -GQ=${q} -GE=${e} -GVARIANT=${variant}
           -GGEN=${gen})
endfunction()
seedlm_decode_model(decode_4bit_p4_g0 8 4 16 4 0 1 0)
seedlm_decode_model(decode_4bit_p4_g1 8 4 16 4 0 1 1)
seedlm_decode_model(decode_4bit_i8_g0 8 3 16 4 4 1 0)
seedlm_decode_model(decode_4bit_g0 8 3 16 4 4 0 0)
seedlm_decode_model(decode_4bit_g1 8 3 16 4 4 0 1)
seedlm_decode_model(decode_3bit_g0 12 4 16 4 4 0 0)
seedlm_decode_model(decode_3bit_i8_g0 12 4 16 4 4 1 0)

seedlm_test(fpga_decode_test SRCS sim/decode_test.cc
  DEPS seedlm_fpga_decode_models seedlm_codec absl::strings absl::span)
target_compile_definitions(fpga_decode_test PRIVATE
  SEEDLM_SPEC_DOC="${PROJECT_SOURCE_DIR}/docs/SPEC.md")
# Verilator's own headers do not build warning-free under -Wall -Wextra
# -Werror (unused parameters): make them system headers for the test.
target_include_directories(fpga_decode_test SYSTEM PRIVATE
  ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
