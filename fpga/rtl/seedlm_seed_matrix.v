// seedlm_seed_matrix: the C x P integer matrix M(s) of a seed, exactly as
// docs/SPEC.md defines it (spec §2 LFSR, §3 `paper` entries, §8 `i8`
// entries), built by one of two generators so that their cost can be
// compared (issue 18).
//
// Parameters:
//   C, P     rows and columns of the matrix (spec §1: 1 <= C <= 64,
//            1 <= P <= 8, P <= C).
//   K        LFSR length = seed bits, 2..24 (K >= 8 for i8).
//   VARIANT  0 = `paper` (entry j = state number j + 1, minus 2^(K-1)),
//            1 = `i8` (entry j = top byte of state number 8(j + 1), minus 128).
//   GEN      0 = "xor network" (spec §9): every raw entry bit is the XOR of
//                the seed bits in a constant mask, computed at elaboration
//                by stepping the Fibonacci LFSR on the basis seeds 1 << i
//                (all K of them at once: bit i of every mask is the
//                register started from seed 1 << i). Depth: one XOR tree of
//                at most K inputs per bit.
//            1 = "stepped LFSR": the register's steps unrolled as a chain of
//                step functions (state n + 1 = step(state n)), the entries
//                read off the chain. Same function, a long chain.
// Ports:
//   seed  the K-bit seed (1 .. 2^K - 1; seed 0 gives the all-zero raw
//         matrix, which is not a valid block: the caller rejects it).
//   m     entry j = c*P + p of M(s) (row-major) as a 24-bit two's
//         complement field at bits [24j, 24j + 24).
// Timing: combinational.
module seedlm_seed_matrix #(
    parameter C = 8,
    parameter P = 4,
    parameter K = 16,
    parameter VARIANT = 1,
    parameter GEN = 0
) (
    input  [     K-1:0] seed,
    output [C*P*24-1:0] m
);
  localparam N = C * P;  // entries
  localparam W = (VARIANT == 1) ? 8 : K;  // bits of a raw entry
  localparam STRIDE = (VARIANT == 1) ? 8 : 1;  // states per entry

  // TAPS(K) of spec §2 as a bit mask (bit t set = tap at bit t).
  function automatic [23:0] taps_of(input integer k);
    begin
      case (k)
        5, 11, 21: taps_of = 24'h5;
        8: taps_of = 24'h1D;
        9: taps_of = 24'h11;
        10, 17, 20: taps_of = 24'h9;
        12: taps_of = 24'h107;
        13, 19: taps_of = 24'h27;
        14: taps_of = 24'h1007;
        16: taps_of = 24'h100B;
        18: taps_of = 24'h81;
        23: taps_of = 24'h21;
        24: taps_of = 24'h87;
        default: taps_of = 24'h3;  // 2, 3, 4, 6, 7, 15, 22
      endcase
    end
  endfunction
  localparam [23:0] TAPS24 = taps_of(K);
  localparam [K-1:0] TAPS = TAPS24[K-1:0];

  // The seed masks of raw entry j: field b (K bits, at [K*b, K*b + K)) is
  // the set of seed bits whose XOR is bit b of the raw entry. The register
  // is stepped with a K-bit mask in place of every bit: win[K*b +: K] is
  // the mask of bit b of the current state, initially 1 << b (the seed).
  function automatic [W*K-1:0] entry_masks(input integer j);
    reg [K*K-1:0] win;
    reg [K-1:0] fb;
    integer n, b, t;
    begin
      for (b = 0; b < K; b = b + 1) win[K*b+:K] = {{(K - 1) {1'b0}}, 1'b1} << b;
      for (n = 0; n < STRIDE * (j + 1); n = n + 1) begin
        fb = {K{1'b0}};
        for (t = 0; t < K; t = t + 1) if (TAPS[t]) fb = fb ^ win[K*t+:K];
        win = {fb, win[K*K-1:K]};
      end
      for (b = 0; b < W; b = b + 1) entry_masks[K*b+:K] = win[K*(K-W+b)+:K];
    end
  endfunction

  wire [N*W-1:0] raw;  // raw entry j at [W*j, W*j + W)

  genvar j, b;
  generate
    if (GEN == 0) begin : g_xor
      for (j = 0; j < N; j = j + 1) begin : g_entry
        localparam [W*K-1:0] MASKS = entry_masks(j);
        for (b = 0; b < W; b = b + 1) begin : g_bit
          assign raw[W*j+b] = ^(seed & MASKS[K*b+:K]);
        end
      end
    end else begin : g_lfsr
      // g_step[n].st is state number n + 1, one step function each.
      for (j = 0; j < STRIDE * N; j = j + 1) begin : g_step
        wire [K-1:0] prev;
        if (j == 0) begin : g_first
          assign prev = seed;
        end else begin : g_next
          assign prev = g_step[j-1].st;
        end
        // For i8 only the top 8 bits of every 8th state are an entry; the
        // other bits feed the next step, except the last state's low bits.
        /* verilator lint_off UNUSEDSIGNAL */
        wire [K-1:0] st = {^(prev & TAPS), prev[K-1:1]};
        /* verilator lint_on UNUSEDSIGNAL */
      end
      for (j = 0; j < N; j = j + 1) begin : g_entry
        assign raw[W*j+:W] = g_step[STRIDE*(j+1)-1].st[K-W+:W];
      end
    end

    // Centring: V - 2^(W-1) is (V ^ 2^(W-1)) read as a signed W-bit number.
    for (j = 0; j < N; j = j + 1) begin : g_centre
      wire [W-1:0] centred = raw[W*j+:W] ^ {1'b1, {(W - 1) {1'b0}}};
      if (W < 24) begin : g_ext
        assign m[24*j+:24] = {{(24 - W) {centred[W-1]}}, centred};
      end else begin : g_full
        assign m[24*j+:24] = centred;
      end
    end
  endgenerate
endmodule
