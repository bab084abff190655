// l1ot: OT anomaly-score kernel with a reloadable reference (docs/firmware.md,
// "Reloadable-reference top"; kernel contract: docs/kernel.md)
//
// Same event interface, integer semantics and outputs as l1ot_kernel, plus
// out_bank (the reference bank an event was scored against) and an IPbus slave
// port onto l1ot_refmem, the double-buffered medoid memory. Medoids come from
// that memory instead of the package ROM, so a new model is loaded and
// committed at run time without re-synthesis; a commit takes effect at an event
// boundary (swap_ok: no further group of the event in the issue register).
// Distances in the direct form sum (x - c)^2 (l1ot_kernel_rl_dist): with c
// from a memory the identity sum x^2 + sum c^2 - 2<x, c> would need 3*N_OBJ
// general multipliers per unit, the direct form N_OBJ (the pT squares; angle
// squares are LUT tables), and no sum c^2 is stored or computed.
//
//   l1ot_front: in reg -> stage a (SCALE_REGS) -> sort network (reg every
//     SORT_LAYERS_PER_STAGE) -> issue reg (REUSE groups of P = ceil(K/REUSE) medoids)
//   -> fetch reg (l1ot_refmem: both banks, group r, in parallel with the issue reg;
//      then the active bank) -> P x l1ot_kernel_rl_dist
//   -> l1ot_reuse_argmin: argmin over P -> [REUSE > 1: running min over the groups]
//   -> score / trigger reg

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_kernel_rl #(
    parameter int K = l1ot_params_pkg::K,
    // reuse factor R: initiation interval in cycles, P = ceil(K/R) distance units
    parameter int REUSE = 8,
    parameter int SORT_LAYERS_PER_STAGE = 1,
    parameter int ADD_LEVELS_PER_STAGE = 1,
    parameter int MIN_LEVELS_PER_STAGE = 1,
    // stage-a registers (l1ot_scale REGS: 2, or 1 = the rounding adder shares a stage
    // with the first comparator layer)
    parameter int SCALE_REGS = 1,
    parameter int SQ_LUT_MAX_W = 8,
    parameter int WORD_W = l1ot_params_pkg::WORD_W,
    parameter int N_OBJ = l1ot_params_pkg::N_OBJ,
    parameter int IDX_W = l1ot_params_pkg::IDX_W,
    parameter int SCORE_W = l1ot_params_pkg::SCORE_W
) (
    input  wire logic                      clk,
    input  wire logic                      rst,

    input  wire logic [N_OBJ*WORD_W-1:0]   in_words,
    input  wire logic                      in_valid,

    output wire logic [SCORE_W-1:0]        out_score,
    output wire logic [IDX_W-1:0]          out_idx,
    output wire logic                      out_trig,
    output wire logic                      out_bank,
    output wire logic                      out_valid,

    output wire logic                      err_overrun,

    // IPbus slave of the medoid memory (l1ot_refmem), ipb_clk domain
    input  wire logic                      ipb_clk,
    input  wire logic                      ipb_rst,
    input  wire logic [31:0]               ipb_addr,
    input  wire logic [31:0]               ipb_wdata,
    input  wire logic                      ipb_strobe,
    input  wire logic                      ipb_write,
    output wire logic [31:0]               ipb_rdata,
    output wire logic                      ipb_ack,
    output wire logic                      ipb_err
);

// constants from the generated package
localparam int ROM_K         = l1ot_params_pkg::ROM_K;
localparam int PT_BITS       = l1ot_params_pkg::PT_BITS;
localparam int ETA_BITS      = l1ot_params_pkg::ETA_BITS;
localparam int PHI_BITS      = l1ot_params_pkg::PHI_BITS;
localparam int XPT_W         = l1ot_params_pkg::XPT_W;
localparam int XETA_W        = l1ot_params_pkg::XETA_W;
localparam int XPHI_W        = l1ot_params_pkg::XPHI_W;
localparam int TAG_W         = l1ot_params_pkg::TAG_W;
localparam int D_W           = l1ot_params_pkg::D_W;
localparam int SCORE_SHIFT   = l1ot_params_pkg::SCORE_SHIFT;
localparam int SORT_N_LAYERS = l1ot_params_pkg::SORT_N_LAYERS;
localparam logic [SCORE_W-1:0] THRESHOLD = l1ot_params_pkg::THRESHOLD;

localparam int P = (REUSE >= 1) ? (K + REUSE - 1) / REUSE : 1;   // distance units
localparam int R_W = (REUSE > 1) ? $clog2(REUSE) : 1;
localparam int NPT = N_OBJ*XPT_W;
localparam int NETA = N_OBJ*XETA_W;
localparam int NPHI = N_OBJ*XPHI_W;

// ---------------------------------------------------------------- declared latency
// LATENCY: cycles from the clock edge that samples in_valid to the edge after
// which out_valid is high, the same for every event (docs/firmware.md). It is
// the sum of the register stages below; each submodule declares its own part
// as its LATENCY localparam. The cocotb test reads LATENCY from the design and
// asserts measured == declared for every configuration.
localparam int LAT_IN     = 1;                                                    // input register
localparam int LAT_SCALE  = SCALE_REGS;                                           // l1ot_scale
localparam int LAT_SORT   = (SORT_N_LAYERS - 1) / SORT_LAYERS_PER_STAGE;          // l1ot_sortnet, REG_OUT = 0
localparam int LAT_ISSUE  = 1;                                                    // issue register
localparam int LAT_FETCH  = 1;                                                    // l1ot_refmem second fetch register (the first is parallel to the issue register)
localparam int ADD_LEVELS = $clog2(3*N_OBJ);                                      // adder-tree levels, 3*N_OBJ leaves
localparam int LAT_DIST   = 2 + (ADD_LEVELS + ADD_LEVELS_PER_STAGE - 1) / ADD_LEVELS_PER_STAGE;  // l1ot_kernel_rl_dist
localparam int MIN_LEVELS = (P > 1) ? $clog2(P) : 0;                              // argmin levels over P units
localparam int LAT_MIN    = (MIN_LEVELS + MIN_LEVELS_PER_STAGE - 1) / MIN_LEVELS_PER_STAGE;      // l1ot_argmin
localparam int LAT_ACC    = (REUSE > 1) ? (REUSE - 1) + 1 : 0;                    // last group + running-min register
localparam int LAT_OUT    = 1;                                                    // score / trigger register
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY /*verilator public*/ = LAT_IN + LAT_SCALE + LAT_SORT + LAT_ISSUE + LAT_FETCH + LAT_DIST
                                              + LAT_MIN + LAT_ACC + LAT_OUT;
// cycles from in_valid to the issue register (the event boundary at which a commit applies)
localparam int LAT_FRONT /*verilator public*/ = LAT_IN + LAT_SCALE + LAT_SORT + LAT_ISSUE;
/* verilator lint_on UNUSEDPARAM */

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (K != ROM_K) begin : g_check_0
    $error("l1ot_kernel_rl: K=%0d but the package holds %0d medoids", K, ROM_K);
    l1ot_param_check_failed u_check_failed ();
end
if (REUSE < 1 || REUSE > K) begin : g_check_1
    $error("l1ot_kernel_rl: REUSE=%0d must be in [1, K=%0d]", REUSE, K);
    l1ot_param_check_failed u_check_failed ();
end
if (IDX_W < ((K > 1) ? $clog2(K) : 1)) begin : g_check_2
    $error("l1ot_kernel_rl: IDX_W=%0d too narrow for K=%0d", IDX_W, K);
    l1ot_param_check_failed u_check_failed ();
end
if (WORD_W != PT_BITS + ETA_BITS + PHI_BITS) begin : g_check_3
    $error("l1ot_kernel_rl: WORD_W inconsistent");
    l1ot_param_check_failed u_check_failed ();
end
if ((1 << TAG_W) < N_OBJ) begin : g_check_4
    $error("l1ot_kernel_rl: TAG_W too narrow");
    l1ot_param_check_failed u_check_failed ();
end
if (SORT_LAYERS_PER_STAGE < 1) begin : g_check_5
    $error("l1ot_kernel_rl: SORT_LAYERS_PER_STAGE must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end

// ---------------------------------------------------------------- in reg, stage a, sort, issue
// (l1ot_front: the issue register holds the sorted event for REUSE cycles; group r
// compares with medoids r*P+p; iss_r_next is the group after the next edge, which the
// medoid memory reads one edge ahead)
wire logic [NPT-1:0]  iss_pt;
wire logic [NETA-1:0] iss_eta;
wire logic [NPHI-1:0] iss_phi;
wire logic [R_W-1:0]  iss_r;
wire logic [R_W-1:0]  iss_r_next;
wire logic            iss_first;
wire logic            iss_last;
wire logic            iss_valid;
wire logic            iss_more;

l1ot_front #(
    .REUSE(REUSE),
    .SORT_LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .SCALE_REGS(SCALE_REGS),
    .N_OBJ(N_OBJ),
    .WORD_W(WORD_W),
    .XPT_W(XPT_W),
    .XETA_W(XETA_W),
    .XPHI_W(XPHI_W),
    .R_W(R_W)
) u_front (
    .clk(clk),
    .rst(rst),
    .in_words(in_words),
    .in_valid(in_valid),
    .iss_pt(iss_pt),
    .iss_eta(iss_eta),
    .iss_phi(iss_phi),
    .iss_r(iss_r),
    .iss_r_next(iss_r_next),
    .iss_first(iss_first),
    .iss_last(iss_last),
    .iss_valid(iss_valid),
    .iss_more(iss_more),
    .err_overrun(err_overrun)
);

// ---------------------------------------------------------------- fetch (l1ot_refmem)
// event boundary: no further group of the current event follows the one in the
// issue register, so the next fetch is group 0 of a new event (or nothing)
wire logic swap_ok = !iss_more;

localparam int SB_W = R_W + 3;   // {bank, first, last, r}

wire logic [P*NPT-1:0]  f_pt;
wire logic [P*NETA-1:0] f_eta;
wire logic [P*NPHI-1:0] f_phi;
wire logic              f_bank;

l1ot_refmem #(
    .K(K),
    .REUSE(REUSE)
) u_refmem (
    .ipb_clk(ipb_clk),
    .ipb_rst(ipb_rst),
    .ipb_addr(ipb_addr),
    .ipb_wdata(ipb_wdata),
    .ipb_strobe(ipb_strobe),
    .ipb_write(ipb_write),
    .ipb_rdata(ipb_rdata),
    .ipb_ack(ipb_ack),
    .ipb_err(ipb_err),
    .clk(clk),
    .rd_r_next(iss_r_next),
    .swap_ok(swap_ok),
    .rd_pt(f_pt),
    .rd_eta(f_eta),
    .rd_phi(f_phi),
    .rd_bank(f_bank)
);

// the event and sideband, delayed to the fetched medoids
logic [NPT-1:0]  fx_pt_reg;
logic [NETA-1:0] fx_eta_reg;
logic [NPHI-1:0] fx_phi_reg;
logic [R_W+1:0]  fx_sb_reg;
logic            fx_valid_reg;

always_ff @(posedge clk) begin
    fx_pt_reg    <= iss_pt;
    fx_eta_reg   <= iss_eta;
    fx_phi_reg   <= iss_phi;
    fx_sb_reg    <= {iss_first, iss_last, iss_r};
    fx_valid_reg <= iss_valid;
    if (rst) begin
        fx_valid_reg <= 1'b0;
    end
end

// ---------------------------------------------------------------- stage c: distances
wire logic [P*D_W-1:0] c_d;
wire logic [SB_W-1:0]  c_sb;
wire logic             c_valid;

for (genvar p = 0; p < P; p++) begin : g_unit
    // (only unit 0's copies are used)
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [SB_W-1:0] sb;
    wire logic            vld;
    /* verilator lint_on UNUSEDSIGNAL */

    l1ot_kernel_rl_dist #(
        .N(N_OBJ),
        .XPT_W(XPT_W),
        .XETA_W(XETA_W),
        .XPHI_W(XPHI_W),
        .D_W(D_W),
        .SQ_LUT_MAX_W(SQ_LUT_MAX_W),
        .ADD_LEVELS_PER_STAGE(ADD_LEVELS_PER_STAGE),
        .SB_W(SB_W)
    ) u_dist (
        .clk(clk),
        .rst(rst),
        .x_pt(fx_pt_reg),
        .x_eta(fx_eta_reg),
        .x_phi(fx_phi_reg),
        .c_pt(f_pt[p*NPT +: NPT]),
        .c_eta(f_eta[p*NETA +: NETA]),
        .c_phi(f_phi[p*NPHI +: NPHI]),
        .in_sb({f_bank, fx_sb_reg}),
        .in_valid(fx_valid_reg),
        .out_d(c_d[p*D_W +: D_W]),
        .out_sb(sb),
        .out_valid(vld)
    );

    if (p == 0) begin : g_sb
        assign c_sb    = sb;
        assign c_valid = vld;
    end
end

// ---------------------------------------------------------------- stage d: argmin
// (l1ot_reuse_argmin: over the P units, then with REUSE > 1 the running min over the
// groups; the bank of the event's first group travels with it)
wire logic [D_W-1:0]   f_min;
wire logic [IDX_W-1:0] f_idx;
wire logic             f_valid;
wire logic             f_tag;

l1ot_reuse_argmin #(
    .P(P),
    .REUSE(REUSE),
    .MIN_LEVELS_PER_STAGE(MIN_LEVELS_PER_STAGE),
    .D_W(D_W),
    .IDX_W(IDX_W),
    .TAG_W(1)
) u_min (
    .clk(clk),
    .rst(rst),
    .in_d(c_d),
    .in_r(c_sb[R_W-1:0]),
    .in_first(c_sb[R_W + 1]),
    .in_last(c_sb[R_W]),
    .in_tag(c_sb[R_W + 2]),
    .in_valid(c_valid),
    .out_min(f_min),
    .out_idx(f_idx),
    .out_tag(f_tag),
    .out_valid(f_valid)
);

// ---------------------------------------------------------------- stages e, f
// score = min(D >> SCORE_SHIFT, 2^SCORE_W - 1); trig = score >= THRESHOLD, which
// equals (D >> SCORE_SHIFT) >= THRESHOLD as THRESHOLD < 2^SCORE_W: evaluated in
// parallel with the saturation
localparam logic [SCORE_W-1:0] SCORE_MAX = '1;
localparam int SH_W = D_W - SCORE_SHIFT;

/* verilator lint_off UNUSEDSIGNAL */   // the low SCORE_SHIFT bits of D do not reach the score
wire logic [D_W-1:0]     f_min_all = f_min;
/* verilator lint_on UNUSEDSIGNAL */
wire logic [SH_W-1:0]    f_shift = f_min_all[D_W-1:SCORE_SHIFT];
wire logic               f_sat   = (SH_W > SCORE_W) ? (f_shift > SH_W'(SCORE_MAX)) : 1'b0;
wire logic [SCORE_W-1:0] f_score = f_sat ? SCORE_MAX : SCORE_W'(f_shift);

logic [SCORE_W-1:0] score_reg;
logic [IDX_W-1:0]   idx_reg;
logic               trig_reg;
logic               bank_reg;
logic               out_valid_reg;

always_ff @(posedge clk) begin
    score_reg     <= f_score;
    idx_reg       <= f_idx;
    trig_reg      <= f_shift >= SH_W'(THRESHOLD);
    bank_reg      <= f_tag;
    out_valid_reg <= f_valid;
    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

assign out_score = score_reg;
assign out_idx   = idx_reg;
assign out_trig  = trig_reg;
assign out_bank  = bank_reg;
assign out_valid = out_valid_reg;

endmodule

`resetall
