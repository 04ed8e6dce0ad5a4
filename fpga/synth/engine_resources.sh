#!/usr/bin/env bash
# Yosys resource figures of the whole engine (fpga/rtl/seedlm_engine.v) for
# a Xilinx 7-series part (synth_xilinx, hierarchy kept: each distinct module
# is synthesised once and `stat -top` counts every instance), for the SeedLM
# engine (4bit-p4) and the bf16 baseline at 32, 64 and 128 MACs, with an
# activation buffer for 11008 columns. Prints one markdown row per design.
#
# Usage: fpga/synth/engine_resources.sh [MACS...]   (default: 32 64 128;
#        make fpga-report runs 8 32)
#        KINDS="4bit-p4 bf16" (default) selects the engines.
# Slow: every float operation is a combinational fp32_fma of ~1,100 LUTs,
# so Yosys needs ~2.5 minutes for an 8-MAC design and ~16 for 32 MACs here;
# fpga/README.md extrapolates 64 and 128 MACs from the 8- and 32-MAC runs.
set -euo pipefail
cd "$(dirname "$0")/../rtl"
macs=("${@:-32 64 128}")
read -r -a macs <<<"${macs[*]}"
rtl="seedlm_engine.v seedlm_combine8.v seedlm_lane_fused.v seedlm_lane_dot.v
  seedlm_block_decode.v seedlm_seed_matrix.v fp32_fma.v fp32_from_int.v"
echo "| engine | MACs | lanes | port B/cycle | LUT | FF | CARRY4 | DSP48E1 | RAMB36E1 | RAMB18E1 | synth s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for kind in ${KINDS:-4bit-p4 bf16}; do
  for m in "${macs[@]}"; do
    lanes=$((m / 8))
    if [[ ${kind} == bf16 ]]; then
      params="-set VARIANT 2 -set C 8"
      port=$((lanes * 16))
    else
      params="-set C 8 -set P 4 -set K 16 -set Q 4 -set E 0 -set VARIANT 1"
      port=$((lanes * 4))
    fi
    # The activation load reads one block of C float32 a cycle: 32 bytes.
    ((port >= 32)) || port=32
    log=$(mktemp)
    start=$(date +%s)
    # shellcheck disable=SC2086
    yosys -q -l "${log}" -p "read_verilog ${rtl//$'\n'/ };
      chparam ${params} -set MAX_LANES ${lanes} -set MAX_BPC ${port} \
        -set MAX_XBLK 1376 seedlm_engine; hierarchy -auto-top;
      rename -top engine_top; synth_xilinx -noiopad -top engine_top;
      tee -o /dev/stdout stat -top engine_top" \
      >"${log}.stat" 2>&1
    secs=$(($(date +%s) - start))
    # The last stat block is the design total (hierarchy included).
    total=$(awk '/=== design hierarchy ===/{f=1} f' "${log}.stat")
    [[ -n ${total} ]] || total=$(cat "${log}.stat")
    cell() { echo "${total}" | awk -v c="$1" '$1==c {n=$2} END {print n+0}'; }
    luts=0
    for l in LUT1 LUT2 LUT3 LUT4 LUT5 LUT6; do luts=$((luts + $(cell "${l}"))); done
    ffs=0
    for f in FDRE FDSE FDCE FDPE; do ffs=$((ffs + $(cell "${f}"))); done
    echo "| ${kind} | ${m} | ${lanes} | ${port} | ${luts} | ${ffs} | $(cell CARRY4) | $(cell DSP48E1) | $(cell RAMB36E1) | $(cell RAMB18E1) | ${secs} |"
    rm -f "${log}" "${log}.stat"
  done
done
