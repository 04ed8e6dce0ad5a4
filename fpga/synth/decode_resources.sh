#!/usr/bin/env bash
# Resources and logic depth of the block decoder's RTL (issue 18: the §9 xor
# network against the stepped LFSR): Yosys synth_xilinx (7-series cells, no
# I/O buffers, flattened; fpga/synth/decode.ys) of seedlm_seed_matrix and of
# seedlm_block_decode for 4bit-p4 and 4bit, with GEN=0 and GEN=1. Prints a
# Markdown table: LUTs (LUT1..LUT6), MUXF7/8, FFs, CARRY4, DSP48E1 and the
# depth (`ltp -noff`: the longest input-to-output path counted in cells; a
# CARRY4 counts as one cell, so a 32-bit adder is 8).
# Usage: fpga/synth/decode_resources.sh [JOBS]   (default 2 Yosys runs at a time;
# about 10 CPU-minutes in all, the block decoders dominate).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rtl=$root/fpga/rtl
jobs=${1:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|top|parameters (chparam -set ...)
configs=(
  "matrix 4bit-p4 GEN=0|seedlm_seed_matrix|C 8 P 4 K 16 VARIANT 1 GEN 0"
  "matrix 4bit-p4 GEN=1|seedlm_seed_matrix|C 8 P 4 K 16 VARIANT 1 GEN 1"
  "matrix 4bit GEN=0|seedlm_seed_matrix|C 8 P 3 K 16 VARIANT 0 GEN 0"
  "matrix 4bit GEN=1|seedlm_seed_matrix|C 8 P 3 K 16 VARIANT 0 GEN 1"
  "block_decode 4bit-p4 GEN=0|seedlm_block_decode|C 8 P 4 K 16 Q 4 E 0 VARIANT 1 GEN 0"
  "block_decode 4bit-p4 GEN=1|seedlm_block_decode|C 8 P 4 K 16 Q 4 E 0 VARIANT 1 GEN 1"
  "block_decode 4bit GEN=0|seedlm_block_decode|C 8 P 3 K 16 Q 4 E 4 VARIANT 0 GEN 0"
  "block_decode 4bit GEN=1|seedlm_block_decode|C 8 P 3 K 16 Q 4 E 4 VARIANT 0 GEN 1"
)

synth() {  # index name top params
  local sets="" files="$rtl/seedlm_seed_matrix.v"
  read -r -a kv <<<"$4"
  for ((i = 0; i < ${#kv[@]}; i += 2)); do sets+=" -set ${kv[i]} ${kv[i + 1]}"; done
  if [[ $3 == seedlm_block_decode ]]; then
    files+=" $rtl/seedlm_block_decode.v $rtl/fp32_fma.v $rtl/fp32_from_int.v"
  fi
  yosys -q -l "$tmp/$1.log" -p "read_verilog $files; chparam$sets $3;
    hierarchy -top $3; script $root/fpga/synth/decode.ys" >/dev/null 2>&1 ||
    { echo "yosys failed for $2:" >&2; tail -20 "$tmp/$1.log" >&2; return 1; }
}

count() {  # log regex: the sum of the last stat's counts of the cells named so
  awk -v re="^($2)\$" '/Printing statistics/ {n = 0}
    $1 ~ re && $2 ~ /^[0-9]+$/ {n += $2} END {print n + 0}' "$1"
}

pids=()
for i in "${!configs[@]}"; do
  IFS='|' read -r name top params <<<"${configs[i]}"
  synth "$i" "$name" "$top" "$params" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do sleep 1; done
done
for p in "${pids[@]}"; do wait "$p"; done

echo "| part | preset | generator | LUTs | MUXF7/8 | FFs | CARRY4 | DSP48E1 | depth (cells) |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for i in "${!configs[@]}"; do
  IFS='|' read -r name _ _ <<<"${configs[i]}"
  read -r part preset gen <<<"$name"
  log=$tmp/$i.log
  gen_name=$([[ $gen == GEN=0 ]] && echo "xor network" || echo "stepped LFSR")
  depth=$(sed -n 's/.*Longest topological path.*(length=\([0-9]*\)).*/\1/p' "$log" | tail -1)
  echo "| $part | $preset | $gen_name | $(count "$log" 'LUT[1-6]') |" \
    "$(count "$log" 'MUXF[78]') | $(count "$log" 'FD[A-Z]*') |" \
    "$(count "$log" 'CARRY4') | $(count "$log" 'DSP48E1') | ${depth:-?} |"
done
