// seedlm_combine8: the fixed pairwise sum of eight float32 that the CPU
// kernels use (kernels_fused_common.h Combine8; DotF32's final combine):
// ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)), each + one IEEE binary32 addition
// (fp32_fma with b = 1.0).
// Parameters: PIPE 0: combinational (clk unused); 1: the four pair sums are
// registered at clk, so y is the sum of the v of the previous cycle.
module seedlm_combine8 #(
    parameter PIPE = 0
) (
    input          clk,
    input  [255:0] v,
    output [ 31:0] y
);
  localparam [31:0] ONE = 32'h3F800000;
  wire [127:0] p;
  wire [31:0] h0, h1;
  genvar i;
  generate
    for (i = 0; i < 4; i = i + 1) begin : g_p
      fp32_fma u_p (
          .a(v[64*i+:32]),
          .b(ONE),
          .c(v[64*i+32+:32]),
          .y(p[32*i+:32])
      );
    end
  endgenerate
  wire [127:0] q;
  generate
    if (PIPE != 0) begin : g_reg
      reg [127:0] p_r;
      always @(posedge clk) p_r <= p;
      assign q = p_r;
    end else begin : g_comb
      assign q = p;
      wire _unused_ok = clk;
    end
  endgenerate
  fp32_fma u_h0 (.a(q[31:0]), .b(ONE), .c(q[63:32]), .y(h0));
  fp32_fma u_h1 (.a(q[95:64]), .b(ONE), .c(q[127:96]), .y(h1));
  fp32_fma u_y (.a(h0), .b(ONE), .c(h1), .y(y));
endmodule
