// seedlm_lane_fused: the multiply-accumulate half of one engine lane for the
// fused `i8` codecs (kernels::FusedSupports: i8 entries, K = 16, C = 8,
// Q = 4, E = 0 or 4, 32-bit blocks), bit-identical to
// kernels::FusedRowsReference (core/runtime/kernels_fused.cc):
//
//   per block k of a row, with n'_c = sum_c + 128 * qsum (the raw entries'
//   sums) and s the block's scale (E = 4; E = 0 folds the one scale into y):
//     acc[8 (k%2) + c] = fma(w'_c, x[8k + c], acc[8 (k%2) + c])   c < 8
//     corr[k % 16]     = fma(cq, Sx_k, corr[k % 16])
//   w' = float(n') * s, cq = float(qsum) * s (E > 0); w' = float(n'),
//   cq = float(qsum) (E = 0); Sx_k = Combine8 of block k's activations.
//   The reference pads a row to a whole number of 16-block groups with
//   fma(0, 0, a) steps, which only turn -0 into +0: the finisher does that
//   for the accumulators those padding blocks touch (pad_acc, pad_corr).
//   y = Combine8(acc[i] + acc[i+8]) - 128 * Combine8(corr[i] + corr[i+8]),
//   times scale0 when E = 0.
//
// Parameters: E (block exponent bits, 0 or 4).
// Timing: a block presented with in_valid is accumulated at that clock
// edge; a row's y leaves out_valid 4 cycles after its last block. One block
// per cycle, rows back to back (the finisher is pipelined).
module seedlm_lane_fused #(
    parameter E = 0
) (
    input             clk,
    input             rst,
    input             in_valid,
    input             in_first,   // block 0 of a row
    input             in_last,    // the row's last block
    input      [ 3:0] in_k16,     // k % 16 (k % 2 is bit 0)
    input      [255:0] in_sum,    // sum_c, int32 each, c = 0..7
    input      [31:0] in_qsum,    // sum_p q_p, int32
    input      [31:0] in_scale,   // the block's float32 scale (E > 0)
    input      [255:0] in_x,      // x[8k .. 8k+7], float32 (0 past cols)
    input      [31:0] in_sx,      // Sx_k, float32
    input      [31:0] in_row,     // the row's index (passed through)
    input      [ 1:0] pad_acc,    // bank b of acc is touched by padding
    input      [15:0] pad_corr,   // corr[i] is touched by padding
    input      [31:0] scale0,     // the tensor's scale (E = 0)
    output reg        out_valid,
    output reg [31:0] out_row,
    output reg [31:0] out_y
);
  localparam [31:0] NEG_ZERO = 32'h80000000;
  localparam [31:0] ONE = 32'h3F800000;
  localparam [31:0] F128 = 32'h43000000;

  wire _unused_ok = ^{in_scale, scale0};  // one of them, by E
  reg [511:0] acc;  // 16 float32
  reg [511:0] corr;  // 16 float32

  // ---- accumulate: 8 + 1 fused multiply-adds per block ----
  wire [255:0] wv;
  wire [511:0] acc_next;
  genvar c;
  generate
    for (c = 0; c < 8; c = c + 1) begin : g_mac
      wire [31:0] n1 = in_sum[32*c+:32] + {in_qsum[24:0], 7'b0};
      wire [31:0] fn1;
      fp32_from_int u_cvt (
          .v(n1),
          .y(fn1)
      );
      if (E == 0) begin : g_e0
        assign wv[32*c+:32] = fn1;
      end else begin : g_e
        fp32_fma u_scale (
            .a(fn1),
            .b(in_scale),
            .c(NEG_ZERO),
            .y(wv[32*c+:32])
        );
      end
      // Bank k % 2; at block 0 both banks start from +0.
      wire [31:0] a_even = in_first ? 32'h0 : acc[32*c+:32];
      wire [31:0] a_odd = in_first ? 32'h0 : acc[32*(c+8)+:32];
      wire [31:0] a_in = in_k16[0] ? a_odd : a_even;
      wire [31:0] a_out;
      fp32_fma u_mac (
          .a(wv[32*c+:32]),
          .b(in_x[32*c+:32]),
          .c(a_in),
          .y(a_out)
      );
      assign acc_next[32*c+:32] = in_k16[0] ? a_even : a_out;
      assign acc_next[32*(c+8)+:32] = in_k16[0] ? a_out : a_odd;
    end
  endgenerate

  wire [31:0] fq;
  wire [31:0] cq;
  fp32_from_int u_cvt_q (
      .v(in_qsum),
      .y(fq)
  );
  generate
    if (E == 0) begin : g_cq0
      assign cq = fq;
    end else begin : g_cq
      fp32_fma u_scale_q (
          .a(fq),
          .b(in_scale),
          .c(NEG_ZERO),
          .y(cq)
      );
    end
  endgenerate
  wire [31:0] corr_in = in_first ? 32'h0 : corr[32*in_k16+:32];
  wire [31:0] corr_out;
  fp32_fma u_corr (
      .a(cq),
      .b(in_sx),
      .c(corr_in),
      .y(corr_out)
  );
  reg [511:0] corr_next;
  integer i;
  always @* begin
    corr_next = in_first ? 512'h0 : corr;
    corr_next[32*in_k16+:32] = corr_out;
  end

  // The padding's fma(0, 0, a): -0 becomes +0, nothing else changes.
  function automatic [31:0] plus_zero(input [31:0] v, input touched);
    plus_zero = (touched && v == NEG_ZERO) ? 32'h0 : v;
  endfunction

  // ---- finisher, stage 1 registers: the row's accumulators ----
  reg f1_valid;
  reg [31:0] f1_row;
  reg [511:0] f1_acc, f1_corr;
  always @(posedge clk) begin
    if (rst) begin
      f1_valid <= 1'b0;
    end else begin
      if (in_valid) begin
        acc  <= acc_next;
        corr <= corr_next;
      end
      f1_valid <= in_valid && in_last;
      if (in_valid && in_last) begin
        f1_row <= in_row;
        for (i = 0; i < 8; i = i + 1) begin
          f1_acc[32*i+:32] <= plus_zero(acc_next[32*i+:32], pad_acc[0]);
          f1_acc[32*(i+8)+:32] <= plus_zero(acc_next[32*(i+8)+:32], pad_acc[1]);
        end
        for (i = 0; i < 16; i = i + 1) begin
          f1_corr[32*i+:32] <= plus_zero(corr_next[32*i+:32], pad_corr[i]);
        end
      end
    end
  end

  // ---- stages 2-3: a8 = acc[i] + acc[i+8], c8 likewise, then Combine8 of
  // each (its pair sums registered: stage 2 | stage 3) ----
  wire [255:0] a8, c8;
  generate
    for (c = 0; c < 8; c = c + 1) begin : g_s2
      fp32_fma u_a8 (
          .a(f1_acc[32*c+:32]),
          .b(ONE),
          .c(f1_acc[32*(c+8)+:32]),
          .y(a8[32*c+:32])
      );
      fp32_fma u_c8 (
          .a(f1_corr[32*c+:32]),
          .b(ONE),
          .c(f1_corr[32*(c+8)+:32]),
          .y(c8[32*c+:32])
      );
    end
  endgenerate
  wire [31:0] a_sum, c_sum;
  seedlm_combine8 #(
      .PIPE(1)
  ) u_ca (
      .clk(clk),
      .v(a8),
      .y(a_sum)
  );
  seedlm_combine8 #(
      .PIPE(1)
  ) u_cc (
      .clk(clk),
      .v(c8),
      .y(c_sum)
  );
  reg f2_valid;
  reg [31:0] f2_row;
  always @(posedge clk) begin
    if (rst) f2_valid <= 1'b0;
    else f2_valid <= f1_valid;
    f2_row <= f1_row;
  end
  reg f3_valid;
  reg [31:0] f3_row, f3_a, f3_c;
  always @(posedge clk) begin
    if (rst) f3_valid <= 1'b0;
    else f3_valid <= f2_valid;
    f3_row <= f2_row;
    f3_a   <= a_sum;
    f3_c   <= c_sum;
  end

  // ---- stage 4: y = a - 128 * c (two roundings), times scale0 if E = 0 ----
  wire [31:0] t128, v, y;
  fp32_fma u_t (.a(F128), .b(f3_c), .c(NEG_ZERO), .y(t128));
  fp32_fma u_v (.a(f3_a), .b(ONE), .c({~t128[31], t128[30:0]}), .y(v));
  generate
    if (E == 0) begin : g_y0
      fp32_fma u_y (.a(v), .b(scale0), .c(NEG_ZERO), .y(y));
    end else begin : g_y
      assign y = v;
    end
  endgenerate
  always @(posedge clk) begin
    if (rst) out_valid <= 1'b0;
    else out_valid <= f3_valid;
    out_row <= f3_row;
    out_y   <= y;
  end
endmodule
