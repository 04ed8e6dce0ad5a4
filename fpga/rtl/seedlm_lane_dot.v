// seedlm_lane_dot: the multiply-accumulate half of one engine lane for every
// codec without the fused kernel, bit-identical to DotF32 of the normative
// decode (core/runtime/linear.cc, kernels::PackedRows):
//
//   term i of a row (i = k*C + c, i < cols) goes to accumulator i % 8:
//     s[i % 8] = s[i % 8] + w_i * x_i      (two roundings, no fma)
//   y = ((s0+s1)+(s2+s3)) + ((s4+s5)+(s6+s7))
//
// w_i is the block's normative decode (seedlm_block_decode's `weight`).
// When C is not a multiple of 8 a block's terms start at accumulator
// base = (k*C) % 8 and an accumulator may take up to ceil(C/8) of them, in
// order (a chain of that depth).
//
// Parameters: C (weights per block, 1..16).
// Timing: a block presented with in_valid is accumulated at that clock
// edge; a row's y leaves out_valid 3 cycles after its last block.
module seedlm_lane_dot #(
    parameter C = 8
) (
    input                 clk,
    input                 rst,
    input                 in_valid,
    input                 in_first,   // block 0 of a row
    input                 in_last,    // the row's last block
    input      [     2:0] in_base,    // (k*C) % 8
    input      [    31:0] in_left,    // cols - k*C: terms c < in_left count
    input      [C*32-1:0] in_w,       // the block's decoded weights
    input      [C*32-1:0] in_x,       // x[k*C .. k*C+C-1] (0 past cols)
    input      [    31:0] in_row,
    output reg            out_valid,
    output reg [    31:0] out_row,
    output reg [    31:0] out_y
);
  localparam [31:0] NEG_ZERO = 32'h80000000;
  localparam [31:0] ONE = 32'h3F800000;
  localparam NCH = (C + 7) / 8;  // terms per accumulator per block, at most

  reg [255:0] s;  // 8 float32
  wire [255:0] s_next;

  genvar j, t;
  generate
    for (j = 0; j < 8; j = j + 1) begin : g_acc
      localparam [2:0] J = j;
      wire [31:0] chain[0:NCH]  /*verilator split_var*/;
      assign chain[0] = in_first ? 32'h0 : s[32*j+:32];
      for (t = 0; t < NCH; t = t + 1) begin : g_step
        // The term of this accumulator at step t: c = ((j - base) & 7) + 8t.
        localparam [4:0] OFF = 8 * t;
        wire [2:0] c0 = J - in_base;
        wire [4:0] cc = {2'b0, c0} + OFF;
        wire valid = ({27'b0, cc} < in_left) && ({27'b0, cc} < C);
        wire [31:0] w = valid ? in_w[32*cc+:32] : 32'h0;
        wire [31:0] x = valid ? in_x[32*cc+:32] : 32'h0;
        wire [31:0] prod, sum;
        fp32_fma u_mul (
            .a(w),
            .b(x),
            .c(NEG_ZERO),
            .y(prod)
        );
        fp32_fma u_add (
            .a(chain[t]),
            .b(ONE),
            .c(prod),
            .y(sum)
        );
        assign chain[t+1] = valid ? sum : chain[t];
      end
      assign s_next[32*j+:32] = chain[NCH];
    end
  endgenerate

  // ---- finisher: the row's accumulators, then Combine8 ----
  reg f1_valid;
  reg [31:0] f1_row;
  reg [255:0] f1_s;
  always @(posedge clk) begin
    if (rst) begin
      f1_valid <= 1'b0;
    end else begin
      if (in_valid) s <= s_next;
      f1_valid <= in_valid && in_last;
      if (in_valid && in_last) begin
        f1_row <= in_row;
        f1_s   <= s_next;
      end
    end
  end
  wire [31:0] y;  // Combine8 of f1_s, its pair sums registered (stage 2)
  seedlm_combine8 #(
      .PIPE(1)
  ) u_y (
      .clk(clk),
      .v(f1_s),
      .y(y)
  );
  reg f2_valid;
  reg [31:0] f2_row;
  always @(posedge clk) begin
    if (rst) f2_valid <= 1'b0;
    else f2_valid <= f1_valid;
    f2_row <= f1_row;
  end
  always @(posedge clk) begin
    if (rst) out_valid <= 1'b0;
    else out_valid <= f2_valid;
    out_row <= f2_row;
    out_y   <= y;
  end
endmodule
