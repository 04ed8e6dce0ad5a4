// seedlm_block_decode: the normative decode of one SeedLM block (docs/SPEC.md
// §4, §8), the per-lane datapath of the FPGA engine: block fields (spec §10
// layout) -> the seed's matrix (seedlm_seed_matrix) -> the exact integer
// sums sum_c = sum_p M[c][p] * q_p -> the weights
// w_c = fl32(sum_c) * scale, one IEEE binary32 multiplication rounded to
// nearest even, bit for bit what `DecodeBlock` (core/codec/codec.cc) gives.
//
// Parameters: the codec (C, P, K, Q, E, VARIANT 0 = paper / 1 = i8) of
// spec §1, and GEN, the matrix generator (0 = xor network, 1 = stepped
// LFSR; see seedlm_seed_matrix). The configuration must satisfy spec §1
// (the exact-sum rule keeps |sum_c| < 2^24, so int32 and float32 are exact).
// Ports:
//   block        the B = K + E + P*Q bits of the block, spec §10: seed at
//                [0, K), e at [K, K + E), q_p at [K + E + p*Q, +Q), two's
//                complement. The seed must be nonzero (spec §4: a decoder
//                rejects seed 0; the host checks it).
//   scale_table  2^E float32 scales: entry i at [32i, 32i + 32) is the
//                scale of the raw e field value i, i.e. BlockScale(e, bias)
//                with e = the field read as two's complement (the host
//                computes it once per tensor, as core/runtime/linear.cc's
//                field_scale does; this is how the tensor's bias arrives).
//   sum          sum_c as a signed int32 at [32c, 32c + 32).
//   qsum         sum_p q_p as a signed int32.
//   e_field      the raw unsigned E-bit e field (0 when E = 0).
//   weight       w_c as float32 bits at [32c, 32c + 32) (0 when WEIGHTS = 0:
//                the fused lanes of seedlm_engine use only the sums).
// Timing: combinational.
module seedlm_block_decode #(
    parameter C = 8,
    parameter P = 4,
    parameter K = 16,
    parameter Q = 4,
    parameter E = 0,
    parameter VARIANT = 1,
    parameter GEN = 0,
    parameter WEIGHTS = 1  // 0: no float weights (the fused lanes use sums)
) (
    input  [K+E+P*Q-1:0] block,
    input  [32*(1<<E)-1:0] scale_table,
    output [     C*32-1:0] sum,
    output [         31:0] qsum,
    output [          7:0] e_field,
    output [     C*32-1:0] weight
);
  // One lane of the engine: instantiated once per lane, compiled once.
  /*verilator no_inline_module*/
  localparam QB = K + E;  // first bit of q_0

  wire [C*P*24-1:0] m;
  seedlm_seed_matrix #(
      .C(C),
      .P(P),
      .K(K),
      .VARIANT(VARIANT),
      .GEN(GEN)
  ) u_matrix (
      .seed(block[K-1:0]),
      .m(m)
  );

  // The block exponent's raw field and its scale.
  wire [31:0] scale;
  generate
    if (E == 0) begin : g_no_e
      assign e_field = 8'd0;
      assign scale = scale_table[31:0];
    end else begin : g_e
      wire [E-1:0] e_raw = block[K+:E];
      if (E < 8) begin : g_pad
        assign e_field = {{(8 - E) {1'b0}}, e_raw};
      end else begin : g_full
        assign e_field = e_raw;
      end
      assign scale = scale_table[32*e_raw+:32];
    end
  endgenerate

  // The coefficients of a block as signed int32, and their sum.
  function automatic [31:0] q_of(input [P*Q-1:0] qf, input integer p);
    q_of = {{(32 - Q) {qf[Q*p+Q-1]}}, qf[Q*p+:Q]};
  endfunction
  function automatic [31:0] q_total(input [P*Q-1:0] qf);
    integer p;
    begin
      q_total = 32'd0;
      for (p = 0; p < P; p = p + 1) q_total = q_total + q_of(qf, p);
    end
  endfunction
  // sum_p M[c][p] * q_p for one row (P entries of 24 bits): |M| < 2^23 and
  // |q| <= 2^7, and the exact-sum rule bounds the sum: exact in int32.
  function automatic [31:0] row_sum(input [P*24-1:0] row,
                                    input [P*Q-1:0] qf);
    integer p;
    reg signed [31:0] a, b, acc;
    begin
      acc = 32'sd0;
      for (p = 0; p < P; p = p + 1) begin
        a = {{8{row[24*p+23]}}, row[24*p+:24]};
        b = q_of(qf, p);
        acc = acc + a * b;
      end
      row_sum = acc;
    end
  endfunction

  wire [P*Q-1:0] qf = block[QB+:P*Q];
  assign qsum = q_total(qf);

  // Per row: the exact sum and the weight.
  genvar c;
  generate
    for (c = 0; c < C; c = c + 1) begin : g_row
      wire [31:0] s = row_sum(m[24*P*c+:24*P], qf);
      assign sum[32*c+:32] = s;

      if (WEIGHTS != 0) begin : g_w
        // fl32(sum_c) is exact (|sum_c| < 2^24); the product is
        // fma(x, scale, -0.0) = RNE(x * scale), zero signs included.
        wire [31:0] x;
        fp32_from_int u_to_float (
            .v(s),
            .y(x)
        );
        fp32_fma u_mul (
            .a(x),
            .b(scale),
            .c(32'h80000000),
            .y(weight[32*c+:32])
        );
      end else begin : g_now
        assign weight[32*c+:32] = 32'h0;
        wire _unused_ok = ^scale;
      end
    end
  endgenerate
endmodule
