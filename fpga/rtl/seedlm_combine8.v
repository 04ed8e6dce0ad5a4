// seedlm_combine8: the fixed pairwise sum of eight float32 that the CPU
// kernels use (kernels_fused_common.h Combine8; DotF32's final combine):
// ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)), each + one IEEE binary32 addition
// (fp32_fma with b = 1.0). Combinational.
module seedlm_combine8 (
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
  fp32_fma u_h0 (.a(p[31:0]), .b(ONE), .c(p[63:32]), .y(h0));
  fp32_fma u_h1 (.a(p[95:64]), .b(ONE), .c(p[127:96]), .y(h1));
  fp32_fma u_y (.a(h0), .b(ONE), .c(h1), .y(y));
endmodule
