// fp32_from_int: int32 -> IEEE 754 binary32, round to nearest even, i.e.
// C's (float)v for every two's-complement v (INT32_MIN included). Exact when
// |v| <= 2^24; larger magnitudes round (ties to even). 0 gives +0.
//
// Parameters: none. Ports: v (two's-complement int32), y (binary32 bits).
// Timing: purely combinational, no clock; 0 cycles of latency.
//
// Resources, Yosys 0.23 `synth_xilinx -noiopad` (fpga/synth/fp32.ys):
// 206 LUTs + 32 INV, 18 CARRY4, 24 MUXF7, 9 MUXF8, no DSP.
module fp32_from_int (
    input  wire [31:0] v,
    output wire [31:0] y
);
  /*verilator no_inline_module*/

  // Leading zeros of a nonzero 32-bit vector (31 for 0), by halving steps.
  function automatic [4:0] lzc32(input [31:0] x);
    reg [31:0] t;
    reg [ 4:0] n;
    begin
      t = x;
      n = 5'd0;
      if (t[31:16] == 16'd0) begin
        n[4] = 1'b1;
        t = {t[15:0], 16'd0};
      end
      if (t[31:24] == 8'd0) begin
        n[3] = 1'b1;
        t = {t[23:0], 8'd0};
      end
      if (t[31:28] == 4'd0) begin
        n[2] = 1'b1;
        t = {t[27:0], 4'd0};
      end
      if (t[31:30] == 2'd0) begin
        n[1] = 1'b1;
        t = {t[29:0], 2'd0};
      end
      if (!t[31]) n[0] = 1'b1;
      lzc32 = n;
    end
  endfunction

  wire s = v[31];
  wire [31:0] mag = s ? (32'd0 - v) : v;  // INT32_MIN -> 2^31, unsigned
  wire [4:0] lz = lzc32(mag);
  wire [31:0] nrm = mag << lz;  // nrm[31] is 0 only for v == 0
  wire [7:0] e = 8'd158 - {3'd0, lz};  // 127 + 31 - lz
  wire guard = nrm[7];
  wire sticky = (nrm[6:0] != 7'd0);
  wire inc = guard & (sticky | nrm[8]);
  wire [30:0] rounded = {e, nrm[30:8]} + {30'd0, inc};  // carry bumps e
  assign y = nrm[31] ? {s, rounded} : 32'd0;
endmodule
