// seedlm_engine: the SeedLM decode-and-multiply engine, y = W x, streaming
// packed blocks in the container's bit layout (docs/FORMAT.md, spec §10)
// from one memory port. fpga/README.md describes the design; fpga/sim/
// engine.h is its C++ harness.
//
// Phases of a run (start pulse, configuration held until done):
//  1. x: ceil(cols/C) reads of C float32 each (one block's worth per cycle)
//     into the activation buffer, zero past cols; for the fused codecs also
//     Sx_k = Combine8 of each block's activations.
//  2. rows: lane l computes rows l, l + lanes, l + 2*lanes, ... of the run,
//     one block per cycle, all lanes in lockstep on the same block index k
//     (so one activation read is broadcast). The reader serves one lane per
//     cycle, round robin, with a burst of up to bpc bytes of that lane's
//     current row into the lane's bit FIFO; rows are fetched as bit ranges
//     (any block size, rows starting inside a byte). A block decoder
//     (seedlm_block_decode) per lane turns the FIFO's next block into sums
//     and weights, registered, then the lane's MAC unit (seedlm_lane_fused
//     or seedlm_lane_dot) accumulates it with the numerics of the CPU
//     kernels, bit for bit.
//  3. y: each lane's finisher emits (row, y) on its own output port.
//
// Parameters: the codec (C, P, K, Q, E, VARIANT 0 paper / 1 i8; VARIANT 2
// is the baseline: dense bfloat16 rows, C weights of 16 bits per "block",
// no decoder, the DotF32 MAC), GEN (0 XOR
// network, 1 stepped LFSR: seedlm_seed_matrix), MAX_LANES, MAX_BPC (bytes
// per cycle of the port), MAX_XBLK (activation buffer, in blocks of C).
// Memory port: mem_req with mem_addr/mem_len (bytes, len <= cfg_bpc) in a
// cycle; the bytes arrive on mem_rdata (byte i at bits [8i, 8i+8)) in the
// next cycle. cycles: busy from the start pulse to the last y.
module seedlm_engine #(
    parameter C = 8,
    parameter P = 4,
    parameter K = 16,
    parameter Q = 4,
    parameter E = 0,
    parameter VARIANT = 1,
    parameter GEN = 0,
    parameter MAX_LANES = 16,
    parameter MAX_BPC = 64,
    parameter MAX_XBLK = 2048
) (
    input                              clk,
    input                              rst,
    input                              start,
    input      [                 31:0] cfg_rows,    // rows of this run
    input      [                 31:0] cfg_cols,
    input      [                 31:0] cfg_bpr,     // ceil(cols / C)
    input      [                  7:0] cfg_lanes,   // 1..MAX_LANES
    input      [                  7:0] cfg_bpc,     // 4*C..MAX_BPC
    input      [                 63:0] cfg_x_addr,  // byte address of x
    input      [                 63:0] cfg_w_bit,   // bit address of row 0
    input      [    32*(1<<E)-1:0] cfg_scale,   // BlockScale by raw field
    output reg                         busy,
    output reg                         mem_req,
    output reg [                 63:0] mem_addr,
    output reg [                  7:0] mem_len,
    input      [          8*MAX_BPC-1:0] mem_rdata,
    output     [          MAX_LANES-1:0] y_valid,
    output     [       32*MAX_LANES-1:0] y_row,
    output     [       32*MAX_LANES-1:0] y_data
);
  localparam DENSE = (VARIANT == 2) ? 1 : 0;  // the bf16 baseline
  localparam B = DENSE ? 16 * C : K + E + P * Q;  // bits per block
  localparam FUSED = (VARIANT == 1 && K == 16 && C == 8 && Q == 4 &&
                      (E == 0 || E == 4) && B == 32) ? 1 : 0;
  localparam CAP = 16 * MAX_BPC + 2 * B;  // bits of a lane FIFO
  localparam CW = 16;  // FIFO count width (CAP < 2^16)
  localparam [CW-1:0] BW = B[CW-1:0];
  localparam integer XLENI = 4 * C;
  localparam [7:0] XLEN = XLENI[7:0];  // bytes of one activation block
  localparam XW = $clog2(MAX_XBLK);
  localparam IW = (MAX_LANES > 1) ? $clog2(MAX_LANES) : 1;  // lane index

  // ---------------- run state ----------------
  localparam [1:0] S_IDLE = 2'd0, S_X = 2'd1, S_ROWS = 2'd2;
  reg [1:0] state;
  reg [31:0] xk_req;  // next activation block to request
  reg [31:0] k;  // block index of the lanes' current rows
  reg [31:0] g;  // group of rows: rows g*lanes .. g*lanes + lanes - 1
  reg [31:0] groups;  // ceil(rows / lanes)
  reg [63:0] row_bits;  // bpr * B
  reg [31:0] done_rows;  // y values emitted
  reg [31:0] nact;  // lanes active in group g

  // ---------------- activation buffer ----------------
  reg [C*32-1:0] xbuf[0:MAX_XBLK-1];
  reg [31:0] sxbuf[0:MAX_XBLK-1];
  reg x_pend;
  reg [31:0] x_pend_k;
  wire [C*32-1:0] x_in;
  genvar gi;
  generate
    for (gi = 0; gi < C; gi = gi + 1) begin : g_xmask
      wire [31:0] idx = x_pend_k * C + gi;
      assign x_in[32*gi+:32] = (idx < cfg_cols) ? mem_rdata[32*gi+:32] : 32'h0;
    end
  endgenerate
  wire [31:0] sx_in;
  generate
    if (FUSED) begin : g_sx
      seedlm_combine8 u_sx (
          .clk(clk),
          .v(x_in[255:0]),
          .y(sx_in)
      );
    end else begin : g_nosx
      assign sx_in = 32'h0;
    end
  endgenerate

  // ---------------- lane FIFOs and the reader ----------------
  reg [CAP-1:0] fifo[0:MAX_LANES-1];
  reg [CW-1:0] fcnt[0:MAX_LANES-1];
  reg [31:0] rd_row[0:MAX_LANES-1];  // run-relative row being fetched
  reg [63:0] rd_sbit[0:MAX_LANES-1];  // its first bit
  reg [63:0] rd_byte[0:MAX_LANES-1];  // next byte to fetch
  reg [IW-1:0] rr;  // round-robin start
  reg w_pend;
  reg [IW-1:0] w_pend_lane;
  reg [2:0] w_pend_skip;
  reg [CW-1:0] w_pend_bits;

  // Which lane the reader serves this cycle, and the burst.
  reg sel_ok;
  reg [IW-1:0] sel;
  reg [63:0] b_end, b_len;
  reg [2:0] b_ebit;  // the row's end bit, mod 8
  reg [CW-1:0] b_bits;
  reg [2:0] b_skip;
  integer li, lj;
  always @* begin
    sel_ok = 1'b0;
    sel = 0;
    for (li = 0; li < MAX_LANES; li = li + 1) begin
      lj = {{(32 - IW) {1'b0}}, rr} + li;
      if (lj >= {24'b0, cfg_lanes}) lj = lj - {24'b0, cfg_lanes};
      if (!sel_ok && li < {24'b0, cfg_lanes} && rd_row[lj] < cfg_rows &&
          {16'b0, fcnt[lj]} + ((w_pend && w_pend_lane == lj[IW-1:0]) ?
              {16'b0, w_pend_bits} : 32'd0) + 32'd8 * cfg_bpc <= CAP) begin
        sel_ok = 1'b1;
        sel = lj[IW-1:0];
      end
    end
    b_end = (rd_sbit[sel] + row_bits + 64'd7) >> 3;  // the row's end byte
    b_len = b_end - rd_byte[sel];
    if (b_len > {56'b0, cfg_bpc}) b_len = {56'b0, cfg_bpc};
    b_skip = (rd_byte[sel] == (rd_sbit[sel] >> 3)) ? rd_sbit[sel][2:0] : 3'd0;
    b_bits = b_len[CW-1:0] * 8 - {13'b0, b_skip};
    b_ebit = rd_sbit[sel][2:0] + row_bits[2:0];
    if (rd_byte[sel] + b_len == b_end && b_ebit != 3'd0)
      b_bits = b_bits - (16'd8 - {13'b0, b_ebit});
  end

  // Lockstep advance: every active lane holds a whole block.
  reg adv;
  integer ai;
  always @* begin
    adv = (state == S_ROWS) && (g < groups);
    for (ai = 0; ai < MAX_LANES; ai = ai + 1)
      if (ai < nact && fcnt[ai] < BW) adv = 1'b0;
  end

  // The burst that arrives this cycle, aligned to its first valid bit.
  wire [8*MAX_BPC-1:0] w_data = mem_rdata >> w_pend_skip;
  wire [8*MAX_BPC-1:0] w_mask = ~({8 * MAX_BPC{1'b1}} << w_pend_bits);

  // ---------------- decode (registered) and MAC per lane ----------------
  reg s1_first, s1_last;
  reg [3:0] s1_k16;  // k % 16
  reg [31:0] s1_left, s1_g;
  reg [2:0] s1_base;
  reg [C*32-1:0] s1_x;
  reg [31:0] s1_sx;
  reg [2:0] base;  // (k*C) % 8
  reg [31:0] lanes_r;
  // Blocks bpr .. (bpr rounded up to 16) - 1 are the fused reference's
  // padding: the accumulators they touch (bank k % 2, corr[k % 16]).
  reg [1:0] pad_acc;
  reg [15:0] pad_corr;
  reg [4:0] npad;
  integer pi;
  always @* begin
    npad = (5'd16 - {1'b0, cfg_bpr[3:0]}) & 5'd15;
    pad_acc = 2'b0;
    pad_corr = 16'b0;
    for (pi = 0; pi < 16; pi = pi + 1) begin
      if (pi < {27'b0, npad}) begin
        pad_acc[(cfg_bpr[0]+pi[0])&1'b1] = 1'b1;
        pad_corr[(cfg_bpr[3:0]+pi[3:0])&4'hF] = 1'b1;
      end
    end
  end
  // y values emitted this cycle.
  reg [31:0] y_count;
  integer yi;
  always @* begin
    y_count = 0;
    for (yi = 0; yi < MAX_LANES; yi = yi + 1) y_count = y_count + {31'b0, y_valid[yi]};
  end

  generate
    for (gi = 0; gi < MAX_LANES; gi = gi + 1) begin : g_lane
      wire [C*32-1:0] d_sum, d_w;
      wire [31:0] d_qsum;
      wire [7:0] d_e;
      if (DENSE) begin : g_bf16
        // C bfloat16 weights: the top halves of float32, widened exactly.
        genvar wi;
        for (wi = 0; wi < C; wi = wi + 1) begin : g_w
          assign d_w[32*wi+:32] = {fifo[gi][16*wi+:16], 16'h0};
        end
        assign d_sum = 0;
        assign d_qsum = 0;
        assign d_e = 0;
      end else begin : g_dec
      seedlm_block_decode #(
          .C(C),
          .P(P),
          .K(K),
          .Q(Q),
          .E(E),
          .VARIANT(VARIANT),
          .GEN(GEN),
          .WEIGHTS(FUSED ? 0 : 1)
      ) u_dec (
          .block(fifo[gi][B-1:0]),
          .scale_table(cfg_scale),
          .sum(d_sum),
          .qsum(d_qsum),
          .e_field(d_e),
          .weight(d_w)
      );
      end
      reg v1;
      reg [C*32-1:0] r_sum, r_w;
      reg [31:0] r_qsum, r_scale;
      always @(posedge clk) begin
        v1 <= adv && gi < nact;
        if (adv) begin
          r_sum <= d_sum;
          r_w <= d_w;
          r_qsum <= d_qsum;
          r_scale <= cfg_scale[32*d_e+:32];
        end
      end
      wire [31:0] row = s1_g * lanes_r + gi;
      // One of the two MAC kinds leaves some of these unused.
      wire _unused_ok = ^{r_w, r_sum, r_qsum, r_scale, s1_left, s1_base, s1_sx, s1_k16,
                           pad_acc, pad_corr};
      if (FUSED) begin : g_f
        seedlm_lane_fused #(
            .E(E)
        ) u_mac (
            .clk(clk),
            .rst(rst),
            .in_valid(v1),
            .in_first(s1_first),
            .in_last(s1_last),
            .in_k16(s1_k16),
            .in_sum(r_sum[255:0]),
            .in_qsum(r_qsum),
            .in_scale(r_scale),
            .in_x(s1_x[255:0]),
            .in_sx(s1_sx),
            .in_row(row),
            .pad_acc(pad_acc),
            .pad_corr(pad_corr),
            .scale0(cfg_scale[31:0]),
            .out_valid(y_valid[gi]),
            .out_row(y_row[32*gi+:32]),
            .out_y(y_data[32*gi+:32])
        );
      end else begin : g_d
        seedlm_lane_dot #(
            .C(C)
        ) u_mac (
            .clk(clk),
            .rst(rst),
            .in_valid(v1),
            .in_first(s1_first),
            .in_last(s1_last),
            .in_base(s1_base),
            .in_left(s1_left),
            .in_w(r_w),
            .in_x(s1_x),
            .in_row(row),
            .out_valid(y_valid[gi]),
            .out_row(y_row[32*gi+:32]),
            .out_y(y_data[32*gi+:32])
        );
      end
    end
  endgenerate

  // ---------------- sequencing ----------------
  integer si;
  always @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE;
      busy <= 1'b0;
      mem_req <= 1'b0;
      x_pend <= 1'b0;
      w_pend <= 1'b0;
    end else begin
      mem_req <= 1'b0;
      // Arrivals from the previous cycle's request.
      x_pend <= 1'b0;
      if (x_pend) begin
        xbuf[x_pend_k[XW-1:0]]  <= x_in;
        sxbuf[x_pend_k[XW-1:0]] <= sx_in;
      end
      // FIFOs: pop a block on adv, push the arriving burst behind it.
      for (si = 0; si < MAX_LANES; si = si + 1) begin
        if (adv && si < nact) begin
          if (w_pend && w_pend_lane == si[IW-1:0]) begin
            fifo[si] <= (fifo[si] >> B) |
                ({{(CAP - 8 * MAX_BPC) {1'b0}}, w_data & w_mask} << (fcnt[si] - BW));
            fcnt[si] <= fcnt[si] - BW + w_pend_bits;
          end else begin
            fifo[si] <= fifo[si] >> B;
            fcnt[si] <= fcnt[si] - BW;
          end
        end else if (w_pend && w_pend_lane == si[IW-1:0]) begin
          fifo[si] <= fifo[si] |
              ({{(CAP - 8 * MAX_BPC) {1'b0}}, w_data & w_mask} << fcnt[si]);
          fcnt[si] <= fcnt[si] + w_pend_bits;
        end
      end
      w_pend <= 1'b0;

      case (state)
        S_IDLE:
        if (start) begin
          busy <= 1'b1;
          state <= S_X;
          xk_req <= 0;
          k <= 0;
          g <= 0;
          base <= 3'd0;
          done_rows <= 0;
          lanes_r <= {24'b0, cfg_lanes};
          groups <= (cfg_rows + {24'b0, cfg_lanes} - 1) / {24'b0, cfg_lanes};
          nact <= (cfg_rows < {24'b0, cfg_lanes}) ? cfg_rows : {24'b0, cfg_lanes};
          row_bits <= {32'b0, cfg_bpr} * B;
          rr <= 0;
          for (si = 0; si < MAX_LANES; si = si + 1) begin
            fcnt[si] <= 0;
            fifo[si] <= 0;
            rd_row[si] <= si;
            rd_sbit[si] <= cfg_w_bit + {32'b0, cfg_bpr} * B * si;
            rd_byte[si] <= (cfg_w_bit + {32'b0, cfg_bpr} * B * si) >> 3;
          end
        end
        S_X: begin
          mem_req <= 1'b1;
          mem_addr <= cfg_x_addr + {32'b0, xk_req} * (4 * C);
          mem_len <= XLEN;
          x_pend <= 1'b1;
          x_pend_k <= xk_req;
          xk_req <= xk_req + 1;
          if (xk_req + 1 == cfg_bpr) state <= S_ROWS;
        end
        default: begin  // S_ROWS
          if (sel_ok) begin
            mem_req <= 1'b1;
            mem_addr <= rd_byte[sel];
            mem_len <= b_len[7:0];
            w_pend <= 1'b1;
            w_pend_lane <= sel;
            w_pend_skip <= b_skip;
            w_pend_bits <= b_bits;
            rr <= ({{(32 - IW) {1'b0}}, sel} + 1 == {24'b0, cfg_lanes}) ? {IW{1'b0}} : sel + 1'b1;
            if (rd_byte[sel] + b_len == b_end) begin  // next row of the lane
              rd_row[sel]  <= rd_row[sel] + {24'b0, cfg_lanes};
              rd_sbit[sel] <= rd_sbit[sel] + row_bits * cfg_lanes;
              rd_byte[sel] <= (rd_sbit[sel] + row_bits * cfg_lanes) >> 3;
            end else begin
              rd_byte[sel] <= rd_byte[sel] + b_len;
            end
          end
          done_rows <= done_rows + y_count;
          if (done_rows + y_count == cfg_rows) begin
            state <= S_IDLE;
            busy  <= 1'b0;
          end
        end
      endcase

      // The lockstep block pointer and the registered activations.
      if (adv) begin
        s1_k16 <= k[3:0];
        s1_g <= g;
        s1_first <= (k == 0);
        s1_last <= (k + 1 == cfg_bpr);
        s1_left <= cfg_cols - k * C;
        s1_base <= base;
        s1_x <= xbuf[k[XW-1:0]];
        s1_sx <= sxbuf[k[XW-1:0]];
        base <= (k + 1 == cfg_bpr) ? 3'd0 : base + C[2:0];
        if (k + 1 == cfg_bpr) begin
          k <= 0;
          g <= g + 1;
          nact <= (cfg_rows - (g + 1) * lanes_r < lanes_r) ?
              cfg_rows - (g + 1) * lanes_r : lanes_r;
        end else begin
          k <= k + 1;
        end
      end
    end
  end
endmodule
