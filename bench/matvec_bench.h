// `seedlm-bench matvec`: the speed of the runtime's weight kernels
// (core/runtime/linear.h) on full-size shapes with random weights, against
// this machine's memory read bandwidth measured in the same run.
//
//   seedlm-bench matvec --rows R --cols C --batch B
//       --preset 4bit|3bit|4bit-i8|3bit-i8|f32|bf16 [--threads N] [--json]
//   seedlm-bench matvec --table [--threads N] [--json]
//
// A run builds one R x C matrix (packed presets: uniformly random seeds,
// exponents and coefficients; f32/bf16: N(0, 0.02^2) weights), then times
// y = W x (batch 1) or Y = W X (batch B) until --min-seconds have passed and
// keeps the best call. Reported: time per call, weights/s (R * C * B /
// time), effective GB/s of the bytes the kernel must read (the weights'
// storage plus the activations), and bandwidth_ratio = that GB/s / the read
// bandwidth measured with the same threads (a streaming sum over a 1 GiB
// buffer). --table runs the shapes of docs/PERFORMANCE.md (4096x4096,
// 4096x11008, 11008x4096; batch 1 and 8; every preset, f32, bf16) and prints
// each kernel's ratio to dense f32 on the same shape.
#ifndef SEEDLM_BENCH_MATVEC_BENCH_H_
#define SEEDLM_BENCH_MATVEC_BENCH_H_

#include <string>
#include <vector>

namespace seedlm {

int MatVecMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_MATVEC_BENCH_H_
