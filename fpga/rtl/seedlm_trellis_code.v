// seedlm_trellis_code: the per-weight decode of the seed trellis (spec §13.2)
// for N consecutive weights of a row, the part a trellis engine's lane adds
// to the block engine's (fpga/README.md, "Trellis presets"): the state of
// weight i is the last L = 16 stream bits up to bit (i + 1) * R (MSB-first),
// its code is the byte sum of (state * 34038481 + 76625530) mod 2^32, minus
// 510, an integer in [-510, 510] (core/codec/trellis_format.h TrellisCode).
//
// Parameters: N weights per cycle, R bits per weight (L = 16).
// Ports: bits = the 16 - R + N * R stream bits that end at weight N - 1's
// last bit, the earliest bit at the MSB; code_i (signed, 11 bits) at
// [11i, 11i + 11). Timing: combinational.
module seedlm_trellis_code #(
    parameter N = 8,
    parameter R = 4
) (
    input  [16-R+N*R-1:0] bits,
    output [    N*11-1:0] code
);
  localparam W = 16 - R + N * R;
  localparam [31:0] MUL = 32'd34038481;
  localparam [31:0] ADD = 32'd76625530;
  genvar i;
  generate
    for (i = 0; i < N; i = i + 1) begin : g_code
      // Weight i's state: bits [W - 16 - i*R + ..., ] counted from the MSB.
      wire [15:0] state = bits[W-1-i*R-:16];
      wire [31:0] h = {16'b0, state} * MUL + ADD;
      wire [10:0] sum = {3'b0, h[7:0]} + {3'b0, h[15:8]} + {3'b0, h[23:16]} +
          {3'b0, h[31:24]};
      assign code[11*i+:11] = sum - 11'd510;
    end
  endgenerate
endmodule
