# The engine's Verilated models (one per codec configuration; the
# parameters must match BuiltEngines() in engine.cc) and the C++ harness
# around them (engine.h).
set(SEEDLM_FPGA_ENGINE_RTL
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_engine.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_lane_fused.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_lane_dot.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_combine8.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_block_decode.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/seedlm_seed_matrix.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/fp32_fma.v
  ${PROJECT_SOURCE_DIR}/fpga/rtl/fp32_from_int.v)
add_library(seedlm_fpga_engine_models STATIC)
seedlm_verilate(seedlm_fpga_engine_models PREFIX Vengine_4bit_p4
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GP=4 -GK=16 -GQ=4 -GE=0 -GVARIANT=1 -GMAX_LANES=16
         -GMAX_BPC=64 -GMAX_XBLK=2048)
seedlm_verilate(seedlm_fpga_engine_models PREFIX Vengine_4bit_i8
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GP=3 -GK=16 -GQ=4 -GE=4 -GVARIANT=1 -GMAX_LANES=4
         -GMAX_BPC=64 -GMAX_XBLK=2048)
seedlm_verilate(seedlm_fpga_engine_models PREFIX Vengine_4bit
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GP=3 -GK=16 -GQ=4 -GE=4 -GVARIANT=0 -GMAX_LANES=4
         -GMAX_BPC=64 -GMAX_XBLK=2048)
seedlm_verilate(seedlm_fpga_engine_models PREFIX Vengine_3bit
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=12 -GP=4 -GK=16 -GQ=4 -GE=4 -GVARIANT=0 -GMAX_LANES=4
         -GMAX_BPC=64 -GMAX_XBLK=1024)

# The baseline: dense bf16 rows through the same reader and DotF32 lanes.
seedlm_verilate(seedlm_fpga_engine_models PREFIX Vengine_bf16
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GVARIANT=2 -GMAX_LANES=4 -GMAX_BPC=64 -GMAX_XBLK=2048)

add_library(seedlm_fpga_engine ${CMAKE_CURRENT_SOURCE_DIR}/sim/engine.cc)
target_link_libraries(seedlm_fpga_engine PUBLIC seedlm_runtime absl::status
  absl::statusor absl::strings seedlm_fpga_engine_models)

# Every engine against kernels::PackedRows, bit for bit, on random matrices.
seedlm_test(fpga_engine_test SRCS ${CMAKE_CURRENT_SOURCE_DIR}/sim/engine_test.cc
  DEPS seedlm_fpga_engine)

# seedlm-fpga-report (make fpga-report): the same factory over engines with
# the lanes that saturate 64 and 128 B/cycle, built only on request.
add_library(seedlm_fpga_report_models STATIC EXCLUDE_FROM_ALL)
seedlm_verilate(seedlm_fpga_report_models PREFIX Vreport_4bit_p4
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GP=4 -GK=16 -GQ=4 -GE=0 -GVARIANT=1 -GMAX_LANES=32
         -GMAX_BPC=128 -GMAX_XBLK=2048)
seedlm_verilate(seedlm_fpga_report_models PREFIX Vreport_3bit
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=12 -GP=4 -GK=16 -GQ=4 -GE=4 -GVARIANT=0 -GMAX_LANES=14
         -GMAX_BPC=64 -GMAX_XBLK=1024)
seedlm_verilate(seedlm_fpga_report_models PREFIX Vreport_bf16
  TOP seedlm_engine SOURCES ${SEEDLM_FPGA_ENGINE_RTL}
  PARAMS -GC=8 -GVARIANT=2 -GMAX_LANES=8 -GMAX_BPC=128 -GMAX_XBLK=2048)
add_executable(seedlm-fpga-report EXCLUDE_FROM_ALL
  ${CMAKE_CURRENT_SOURCE_DIR}/sim/report_main.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sim/cycle_model.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sim/engine.cc)
target_compile_definitions(seedlm-fpga-report PRIVATE
  SEEDLM_FPGA_REPORT_ENGINES)
target_link_libraries(seedlm-fpga-report PRIVATE seedlm_runtime
  seedlm_fpga_report_models seedlm_absl_cli absl::flags absl::flags_parse
  absl::str_format absl::strings)
