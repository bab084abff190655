// l1ot: OT anomaly-score kernel, top level (contract: docs/kernel.md)
//
// One event = N_OBJ 43-bit words {pt[15:0], eta[13:0], phi[12:0]}, slot s in
// in_words[s*WORD_W +: WORD_W]. Fully pipelined, fixed latency, no
// backpressure: an event may be presented every REUSE cycles (II = REUSE).
// Constants (widths, multipliers, sorting network, medoid ROM, threshold)
// come from the generated package l1ot_params_pkg (l1ot.export.sv).
//
//   l1ot_front: in reg -> stage a (2 regs) -> sort network (reg every
//     SORT_LAYERS_PER_STAGE) -> issue reg (REUSE groups of P = ceil(K/REUSE) medoids)
//   -> P x sqdist (|d|, square, adder tree)
//   -> l1ot_reuse_argmin: argmin over P -> [REUSE > 1: running min over the groups]
//   -> score / trigger reg

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_kernel #(
    // number of medoids; must equal the ROM size in the package
    parameter int K = l1ot_params_pkg::K,
    // reuse factor R: initiation interval in cycles, P = ceil(K/R) distance units
    parameter int REUSE = l1ot_params_pkg::REUSE,
    // sorting-network comparator layers between pipeline registers
    parameter int SORT_LAYERS_PER_STAGE = 2,
    // adder-tree levels between pipeline registers
    parameter int ADD_LEVELS_PER_STAGE = 2,
    // argmin-tree levels between pipeline registers
    parameter int MIN_LEVELS_PER_STAGE = 2,
    // squares of operands up to this width use LUT tables, wider ones DSPs
    parameter int SQ_LUT_MAX_W = 8,
    // derived, do not override: input word width, index width, score width
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
    output wire logic                      out_valid,

    // pulse: an event arrived less than REUSE cycles after the previous one
    // (the previous event is dropped)
    output wire logic                      err_overrun
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
localparam logic [ROM_K*N_OBJ*XPT_W-1:0] ROM_PT = l1ot_params_pkg::ROM_PT;
localparam logic [ROM_K*N_OBJ*XETA_W-1:0] ROM_ETA = l1ot_params_pkg::ROM_ETA;
localparam logic [ROM_K*N_OBJ*XPHI_W-1:0] ROM_PHI = l1ot_params_pkg::ROM_PHI;

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
localparam int LAT_SCALE  = 2;                                                    // l1ot_scale: product, rounded
localparam int LAT_SORT   = (SORT_N_LAYERS - 1) / SORT_LAYERS_PER_STAGE;          // l1ot_sortnet, REG_OUT = 0
localparam int LAT_ISSUE  = 1;                                                    // issue register
localparam int ADD_LEVELS = $clog2(3*N_OBJ);                                      // adder-tree levels, 3*N_OBJ leaves
localparam int LAT_DIST   = 2 + (ADD_LEVELS + ADD_LEVELS_PER_STAGE - 1) / ADD_LEVELS_PER_STAGE;  // l1ot_sqdist
localparam int MIN_LEVELS = (P > 1) ? $clog2(P) : 0;                              // argmin levels over P units
localparam int LAT_MIN    = (MIN_LEVELS + MIN_LEVELS_PER_STAGE - 1) / MIN_LEVELS_PER_STAGE;      // l1ot_argmin
localparam int LAT_ACC    = (REUSE > 1) ? (REUSE - 1) + 1 : 0;                    // last group + running-min register
localparam int LAT_OUT    = 1;                                                    // score / trigger register
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY /*verilator public*/ = LAT_IN + LAT_SCALE + LAT_SORT + LAT_ISSUE + LAT_DIST
                                              + LAT_MIN + LAT_ACC + LAT_OUT;
/* verilator lint_on UNUSEDPARAM */

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (K != ROM_K) begin : g_check_0
    $error("l1ot_kernel: K=%0d but the package ROM holds %0d medoids", K, ROM_K);
    l1ot_param_check_failed u_check_failed ();
end
if (REUSE < 1 || REUSE > K) begin : g_check_1
    $error("l1ot_kernel: REUSE=%0d must be in [1, K=%0d]", REUSE, K);
    l1ot_param_check_failed u_check_failed ();
end
if (IDX_W < ((K > 1) ? $clog2(K) : 1)) begin : g_check_2
    $error("l1ot_kernel: IDX_W=%0d too narrow for K=%0d", IDX_W, K);
    l1ot_param_check_failed u_check_failed ();
end
if (WORD_W != PT_BITS + ETA_BITS + PHI_BITS) begin : g_check_3
    $error("l1ot_kernel: WORD_W inconsistent");
    l1ot_param_check_failed u_check_failed ();
end
if ((1 << TAG_W) < N_OBJ) begin : g_check_4
    $error("l1ot_kernel: TAG_W too narrow");
    l1ot_param_check_failed u_check_failed ();
end
if (SORT_LAYERS_PER_STAGE < 1) begin : g_check_5
    $error("l1ot_kernel: SORT_LAYERS_PER_STAGE must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end

// ---------------------------------------------------------------- in reg, stage a, sort, issue
// (l1ot_front: the issue register holds the sorted event for REUSE cycles; group r
// compares with medoids r*P+p)
wire logic [NPT-1:0]  iss_pt;
wire logic [NETA-1:0] iss_eta;
wire logic [NPHI-1:0] iss_phi;
wire logic [R_W-1:0]  iss_r;
wire logic            iss_first;
wire logic            iss_last;
wire logic            iss_valid;
/* verilator lint_off UNUSEDSIGNAL */   // for a memory that reads ahead (l1ot_kernel_rl)
wire logic [R_W-1:0]  iss_r_next;
wire logic            iss_more;
/* verilator lint_on UNUSEDSIGNAL */

l1ot_front #(
    .REUSE(REUSE),
    .SORT_LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .SCALE_REGS(LAT_SCALE),
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

// ---------------------------------------------------------------- stage c: distances
localparam int SB_W = R_W + 2;   // {first, last, r}

wire logic [P*D_W-1:0] c_d;
wire logic [SB_W-1:0]  c_sb;
wire logic             c_valid;

for (genvar p = 0; p < P; p++) begin : g_unit
    // medoid ROM of this unit: entry r = medoid r*P + p (padding repeats
    // medoid K-1, which never wins: ties go to the lower index)
    wire logic [REUSE*NPT-1:0]  tab_pt;
    wire logic [REUSE*NETA-1:0] tab_eta;
    wire logic [REUSE*NPHI-1:0] tab_phi;
    for (genvar r = 0; r < REUSE; r++) begin : g_rom
        localparam int MI = (r*P + p < K) ? r*P + p : K - 1;
        assign tab_pt[r*NPT +: NPT]    = ROM_PT[MI*NPT +: NPT];
        assign tab_eta[r*NETA +: NETA] = ROM_ETA[MI*NETA +: NETA];
        assign tab_phi[r*NPHI +: NPHI] = ROM_PHI[MI*NPHI +: NPHI];
    end

    // (only unit 0's copies are used)
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [SB_W-1:0] sb;
    wire logic            vld;
    /* verilator lint_on UNUSEDSIGNAL */

    l1ot_sqdist #(
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
        .x_pt(iss_pt),
        .x_eta(iss_eta),
        .x_phi(iss_phi),
        .c_pt(tab_pt[iss_r*NPT +: NPT]),
        .c_eta(tab_eta[iss_r*NETA +: NETA]),
        .c_phi(tab_phi[iss_r*NPHI +: NPHI]),
        .in_sb({iss_first, iss_last, iss_r}),
        .in_valid(iss_valid),
        .out_d(c_d[p*D_W +: D_W]),
        .out_sb(sb),
        .out_valid(vld)
    );

    // all units run in lockstep: take sideband and valid from unit 0
    if (p == 0) begin : g_sb
        assign c_sb    = sb;
        assign c_valid = vld;
    end
end

// ---------------------------------------------------------------- stage d: argmin
// (l1ot_reuse_argmin: over the P units, then with REUSE > 1 the running min over the groups)
wire logic [D_W-1:0]   f_min;
wire logic [IDX_W-1:0] f_idx;
wire logic             f_valid;
/* verilator lint_off UNUSEDSIGNAL */   // no event tag here
wire logic             f_tag;
/* verilator lint_on UNUSEDSIGNAL */

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
    .in_tag(1'b0),
    .in_valid(c_valid),
    .out_min(f_min),
    .out_idx(f_idx),
    .out_tag(f_tag),
    .out_valid(f_valid)
);

// ---------------------------------------------------------------- stages e, f
localparam logic [SCORE_W-1:0] SCORE_MAX = '1;

wire logic [D_W-1:0]     f_shift = f_min >> SCORE_SHIFT;
wire logic [SCORE_W-1:0] f_score = (f_shift > D_W'(SCORE_MAX)) ? SCORE_MAX : SCORE_W'(f_shift);

logic [SCORE_W-1:0] score_reg;
logic [IDX_W-1:0]   idx_reg;
logic               trig_reg;
logic               out_valid_reg;

always_ff @(posedge clk) begin
    score_reg     <= f_score;
    idx_reg       <= f_idx;
    trig_reg      <= f_score >= THRESHOLD;
    out_valid_reg <= f_valid;
    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

assign out_score = score_reg;
assign out_idx   = idx_reg;
assign out_trig  = trig_reg;
assign out_valid = out_valid_reg;

endmodule

`resetall
