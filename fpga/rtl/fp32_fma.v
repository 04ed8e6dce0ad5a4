// fp32_fma: exact IEEE 754 binary32 fused multiply-add, y = RNE(a*b + c),
// bit for bit C's std::fmaf(a, b, c) except that every NaN output is the
// canonical quiet NaN 32'h7fc00000 (no payload propagation).
//
// The engine builds its other float32 operations on it; both identities are
// exact for every input, zero signs included:
//   mul(a, b) = fp32_fma(a, b, 32'h80000000)   // c = -0.0: RNE(a*b)
//   add(a, b) = fp32_fma(a, 32'h3f800000, b)   // b = 1.0:  RNE(a+b)
// (adding -0 never changes a nonzero result and keeps a zero product's sign;
// a*1 is exact).
//
// Parameters: none. Ports: a, b, c (binary32 bit patterns), y (binary32).
// Timing: purely combinational, no clock; 0 cycles of latency (a pipelined
// wrapper, if needed for timing closure, belongs to the instantiating module).
//
// Semantics: round to nearest, ties to even; subnormal inputs and outputs are
// kept (never flushed); overflow gives +-inf; an exact zero sum is +0 unless
// both addends are -0 (a zero product's sign is sign(a) ^ sign(b)); a result
// that rounds to zero keeps the sign of the exact value; inf*0, inf-inf and
// any NaN input give NaN.
//
// Datapath (all vectors <= 64 bits, so Verilator keeps them in machine
// words): unpack (exponent field 0 -> exponent 1, no hidden bit); 48-bit
// product; a 52-bit window whose bit 51 is a carry, whose bits 50..1 hold the
// operand with the larger nominal top bit (product bit 47 or addend bit 23 at
// bit 50) and the other operand shifted right by the exponent difference, and
// whose bit 0 is a sticky bit for everything shifted below bit 1; add or
// subtract the magnitudes (negate on borrow); leading-zero count; normalise
// with the subnormal floor; round on guard/sticky; carry-out of the rounding
// increments the exponent (and overflows to inf). Proof sketch that the
// window is wide enough: bits are shifted into the sticky only when the
// shifted operand lies at least 3 binades below the other's leading one (at
// most one of a, b subnormal puts the product's leading one within 24 bits of
// bit 47; both subnormal puts the product below any nonzero addend), so the
// result's ulp is at least twice the window's lsb and the sticky cannot
// change the rounding; when the operands overlap, the sum is exact.
//
// Resources, one instance, Yosys 0.23 `synth_xilinx -noiopad -top fp32_fma`
// (fpga/synth/fp32.ys): 1081 LUTs (LUT1 39, LUT2 194, LUT3 409, LUT4 150,
// LUT5 83, LUT6 206) + 74 INV, 71 CARRY4, 2 DSP48E1 (the 24x24 product),
// 197 MUXF7, 56 MUXF8. Verilator 5.006: about 8-15 million evaluations per
// second as a top (fpga_fp32_test, one core of the shared CI machine).
module fp32_fma (
    input  wire [31:0] a,
    input  wire [31:0] b,
    input  wire [31:0] c,
    output wire [31:0] y
);
  /*verilator no_inline_module*/

  // Leading zeros of a 52-bit vector (52 when x is 0), by halving steps.
  function automatic [5:0] lzc52(input [51:0] x);
    reg [63:0] v;
    reg [ 5:0] n;
    begin
      v = {x, 12'hfff};
      n = 6'd0;
      if (v[63:32] == 32'd0) begin
        n[5] = 1'b1;
        v = {v[31:0], 32'd0};
      end
      if (v[63:48] == 16'd0) begin
        n[4] = 1'b1;
        v = {v[47:0], 16'd0};
      end
      if (v[63:56] == 8'd0) begin
        n[3] = 1'b1;
        v = {v[55:0], 8'd0};
      end
      if (v[63:60] == 4'd0) begin
        n[2] = 1'b1;
        v = {v[59:0], 4'd0};
      end
      if (v[63:62] == 2'd0) begin
        n[1] = 1'b1;
        v = {v[61:0], 2'd0};
      end
      if (!v[63]) n[0] = 1'b1;
      lzc52 = n;
    end
  endfunction

  // ---- Unpack.
  wire sa = a[31];
  wire sb = b[31];
  wire sc = c[31];
  wire a_lo = (a[30:23] == 8'd0);  // zero or subnormal
  wire b_lo = (b[30:23] == 8'd0);
  wire c_lo = (c[30:23] == 8'd0);
  wire a_hi = (a[30:23] == 8'hff);  // inf or NaN
  wire b_hi = (b[30:23] == 8'hff);
  wire c_hi = (c[30:23] == 8'hff);
  wire a_fz = (a[22:0] == 23'd0);
  wire b_fz = (b[22:0] == 23'd0);
  wire c_fz = (c[22:0] == 23'd0);
  wire [7:0] ea = {a[30:24], a[23] | a_lo};  // exponent field, 0 -> 1
  wire [7:0] eb = {b[30:24], b[23] | b_lo};
  wire [7:0] ec = {c[30:24], c[23] | c_lo};
  wire [23:0] ma = {~a_lo, a[22:0]};
  wire [23:0] mb = {~b_lo, b[22:0]};
  wire [23:0] mc = {~c_lo, c[22:0]};

  wire a_zero = a_lo & a_fz;
  wire b_zero = b_lo & b_fz;
  wire a_inf = a_hi & a_fz;
  wire b_inf = b_hi & b_fz;
  wire c_inf = c_hi & c_fz;
  wire any_nan = (a_hi & ~a_fz) | (b_hi & ~b_fz) | (c_hi & ~c_fz);

  wire sp = sa ^ sb;  // sign of the product
  wire eff_sub = sp ^ sc;
  wire p_zero = a_zero | b_zero;

  // ---- Product and alignment. Nominal top-bit exponents: product bit 47 has
  // weight 2^(ea+eb-253), addend bit 23 has 2^(ec-127); d is their difference
  // (-378..381, fits 10-bit two's complement).
  wire [47:0] mp = ma * mb;
  wire [9:0] d = {2'b00, ea} + {2'b00, eb} - {2'b00, ec} - 10'd126;
  wire p_big = ~p_zero & ~d[9];  // the product is the unshifted operand
  wire [9:0] d_abs = d[9] ? (10'd0 - d) : d;
  wire [5:0] d_sh = (d_abs[9:6] != 4'd0) ? 6'd63 : d_abs[5:0];

  wire [51:0] pv = {1'b0, mp, 3'b000};  // product bit 47 at window bit 50
  wire [51:0] cv = {1'b0, mc, 27'd0};  // addend bit 23 at window bit 50
  wire [51:0] hi_op = p_big ? pv : cv;
  wire [51:0] lo_op = p_big ? cv : pv;
  wire [51:0] lo_sh = lo_op >> d_sh;
  wire lost = (lo_op & ~({52{1'b1}} << d_sh)) != 52'd0;
  wire [51:0] lo_al = {lo_sh[51:1], lo_sh[0] | lost};

  // ---- Add or subtract the magnitudes.
  wire [52:0] sum = eff_sub ? ({1'b0, hi_op} - {1'b0, lo_al})
                            : ({1'b0, hi_op} + {1'b0, lo_al});
  wire neg = sum[52];
  wire [51:0] mag = neg ? (52'd0 - sum[51:0]) : sum[51:0];
  wire s_hi = p_big ? sp : sc;
  wire mag_zero = (mag == 52'd0);
  wire rs = mag_zero ? (sp & sc) : (s_hi ^ neg);

  // ---- Normalise. e0 is the biased exponent that window bit 51 would have
  // (2..383); the shift stops where the exponent would drop below 1.
  wire [9:0] e0 = p_big ? ({2'b00, ea} + {2'b00, eb} - 10'd125)
                        : ({2'b00, ec} + 10'd1);
  wire [9:0] e_floor = e0 - 10'd1;  // largest shift that stays normal
  wire [5:0] lz = lzc52(mag);
  wire [5:0] sh = (e_floor < {4'd0, lz}) ? e_floor[5:0] : lz;
  wire [51:0] nrm = mag << sh;
  wire [9:0] e_res = nrm[51] ? (e0 - {4'd0, sh}) : 10'd0;
  wire ovf = (e_res >= 10'd255);

  // ---- Round to nearest even: mantissa nrm[51:28], guard nrm[27].
  wire guard = nrm[27];
  wire sticky = (nrm[26:0] != 27'd0);
  wire inc = guard & (sticky | nrm[28]);
  wire [30:0] rounded = {e_res[7:0], nrm[50:28]} + {30'd0, inc};
  wire [31:0] finite = ovf ? {rs, 8'hff, 23'd0} : {rs, rounded};

  // ---- Special operands.
  wire p_inf = a_inf | b_inf;
  wire is_nan = any_nan | (a_inf & b_zero) | (b_inf & a_zero) |
      (p_inf & c_inf & eff_sub);
  assign y = is_nan ? 32'h7fc00000 :
             p_inf ? {sp, 8'hff, 23'd0} :
             c_inf ? {sc, 8'hff, 23'd0} : finite;
endmodule
