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
//   in reg -> stage a (SCALE_REGS) -> sort network (reg every SORT_LAYERS_PER_STAGE)
//   -> issue reg (REUSE groups of P = ceil(K/REUSE) medoids)
//   -> fetch reg (l1ot_refmem: both banks, group r, in parallel with the issue reg;
//      then the active bank) -> P x l1ot_kernel_rl_dist
//   -> argmin over P -> [REUSE > 1: running min over the groups]
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
localparam int M_PT          = l1ot_params_pkg::M_PT;
localparam int S_PT          = l1ot_params_pkg::S_PT;
localparam int M_ETA         = l1ot_params_pkg::M_ETA;
localparam int S_ETA         = l1ot_params_pkg::S_ETA;
localparam int M_PHI         = l1ot_params_pkg::M_PHI;
localparam int S_PHI         = l1ot_params_pkg::S_PHI;
localparam int XPT_W         = l1ot_params_pkg::XPT_W;
localparam int XETA_W        = l1ot_params_pkg::XETA_W;
localparam int XPHI_W        = l1ot_params_pkg::XPHI_W;
localparam int TAG_W         = l1ot_params_pkg::TAG_W;
localparam int D_W           = l1ot_params_pkg::D_W;
localparam int SCORE_SHIFT   = l1ot_params_pkg::SCORE_SHIFT;
localparam int SORT_N_LAYERS = l1ot_params_pkg::SORT_N_LAYERS;
localparam int SORT_PW       = l1ot_params_pkg::SORT_PW;
localparam logic [SCORE_W-1:0] THRESHOLD = l1ot_params_pkg::THRESHOLD;
localparam logic [SORT_N_LAYERS*N_OBJ*SORT_PW-1:0] SORT_PARTNER = l1ot_params_pkg::SORT_PARTNER;

localparam int P = (REUSE >= 1) ? (K + REUSE - 1) / REUSE : 1;   // distance units
localparam int R_W = (REUSE > 1) ? $clog2(REUSE) : 1;
localparam int PIDX_W = (P > 1) ? $clog2(P) : 1;
localparam int KEY_W = XPT_W + TAG_W;
localparam int PAY_W = XETA_W + XPHI_W;
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

// ---------------------------------------------------------------- input reg
logic [N_OBJ*WORD_W-1:0] in_words_reg;
logic                    in_valid_reg;

always_ff @(posedge clk) begin
    in_words_reg <= in_words;
    in_valid_reg <= in_valid;
    if (rst) begin
        in_valid_reg <= 1'b0;
    end
end

// ---------------------------------------------------------------- stage a
// (l1ot_stage_a: working precision, sort key and payload; two l1ot_scale registers)
wire logic [N_OBJ*KEY_W-1:0] a_key;
wire logic [N_OBJ*PAY_W-1:0] a_pay;
/* verilator lint_off UNUSEDSIGNAL */   // the unsorted coordinates are not used here
wire logic [NPT-1:0]         a_pt;
wire logic [NETA-1:0]        a_eta;
wire logic [NPHI-1:0]        a_phi;
/* verilator lint_on UNUSEDSIGNAL */
wire logic                   a_valid;

l1ot_stage_a #(
    .N_OBJ(N_OBJ),
    .PT_BITS(PT_BITS),
    .ETA_BITS(ETA_BITS),
    .PHI_BITS(PHI_BITS),
    .WORD_W(WORD_W),
    .M_PT(M_PT),
    .S_PT(S_PT),
    .M_ETA(M_ETA),
    .S_ETA(S_ETA),
    .M_PHI(M_PHI),
    .S_PHI(S_PHI),
    .XPT_W(XPT_W),
    .XETA_W(XETA_W),
    .XPHI_W(XPHI_W),
    .TAG_W(TAG_W),
    .REGS(SCALE_REGS)
) u_stage_a (
    .clk(clk),
    .rst(rst),
    .in_words(in_words_reg),
    .in_valid(in_valid_reg),
    .out_key(a_key),
    .out_pay(a_pay),
    .out_pt(a_pt),
    .out_eta(a_eta),
    .out_phi(a_phi),
    .out_valid(a_valid)
);

// ---------------------------------------------------------------- stage b: sort
// register after every SORT_LAYERS_PER_STAGE layers; the last layer feeds the
// issue register directly
// (the slot tag is dropped after the sort)
/* verilator lint_off UNUSEDSIGNAL */
wire logic [N_OBJ*KEY_W-1:0] b_key;
/* verilator lint_on UNUSEDSIGNAL */
wire logic [N_OBJ*PAY_W-1:0] b_pay;
wire logic                   b_valid;

l1ot_sortnet #(
    .N(N_OBJ),
    .KEY_W(KEY_W),
    .PAY_W(PAY_W),
    .N_LAYERS(SORT_N_LAYERS),
    .PW(SORT_PW),
    .PARTNER(SORT_PARTNER),
    .LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .REG_OUT(1'b0)
) u_sort (
    .clk(clk),
    .rst(rst),
    .in_key(a_key),
    .in_pay(a_pay),
    .in_valid(a_valid),
    .out_key(b_key),
    .out_pay(b_pay),
    .out_valid(b_valid)
);

// ---------------------------------------------------------------- issue
// holds the sorted event for REUSE cycles; group r compares with medoids r*P+p
logic [NPT-1:0]  iss_pt_reg;
logic [NETA-1:0] iss_eta_reg;
logic [NPHI-1:0] iss_phi_reg;
logic [R_W-1:0]  iss_r_reg;
logic            iss_valid_reg;
logic            iss_more_reg;    // further groups of this event follow
logic            overrun_reg;

wire logic [NPT-1:0]  b_pt;
wire logic [NETA-1:0] b_eta;
wire logic [NPHI-1:0] b_phi;

for (genvar s = 0; s < N_OBJ; s++) begin : g_unpack
    assign b_pt[s*XPT_W +: XPT_W]    = b_key[s*KEY_W + TAG_W +: XPT_W];
    assign b_eta[s*XETA_W +: XETA_W] = b_pay[s*PAY_W + XPHI_W +: XETA_W];
    assign b_phi[s*XPHI_W +: XPHI_W] = b_pay[s*PAY_W +: XPHI_W];
end

// group of the issue register after the next edge: the medoid memory reads it one edge
// ahead (l1ot_refmem: two fetch registers, the first in parallel with the issue register).
// 0 with a new event, else nxt_r_reg = iss_r_reg + iss_more_reg, kept as a register so the
// memory's first fetch level is a multiplexer on registers and b_valid only
logic [R_W-1:0] nxt_r_reg;
wire logic [R_W-1:0] iss_r_next = b_valid ? '0 : nxt_r_reg;
wire logic iss_more_next = b_valid ? (REUSE > 1) : (iss_more_reg && (32'(iss_r_reg) + 2 < REUSE));

always_ff @(posedge clk) begin
    overrun_reg <= 1'b0;
    iss_r_reg   <= iss_r_next;
    nxt_r_reg   <= iss_r_next + R_W'(iss_more_next);
    if (b_valid) begin
        iss_pt_reg    <= b_pt;
        iss_eta_reg   <= b_eta;
        iss_phi_reg   <= b_phi;
        iss_valid_reg <= 1'b1;
        iss_more_reg  <= (REUSE > 1);
        overrun_reg   <= iss_more_reg;
    end else if (iss_more_reg) begin
        iss_valid_reg <= 1'b1;
        iss_more_reg  <= (32'(iss_r_reg) + 2 < REUSE);
    end else begin
        iss_valid_reg <= 1'b0;
    end
    if (rst) begin
        iss_r_reg     <= '0;
        nxt_r_reg     <= '0;
        iss_valid_reg <= 1'b0;
        iss_more_reg  <= 1'b0;
        overrun_reg   <= 1'b0;
    end
end

assign err_overrun = overrun_reg;

wire logic iss_first = (iss_r_reg == '0);
wire logic iss_last  = (32'(iss_r_reg) == REUSE - 1);

// ---------------------------------------------------------------- fetch (l1ot_refmem)
// event boundary: no further group of the current event follows the one in the
// issue register, so the next fetch is group 0 of a new event (or nothing)
wire logic swap_ok = !iss_more_reg;

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
    fx_pt_reg    <= iss_pt_reg;
    fx_eta_reg   <= iss_eta_reg;
    fx_phi_reg   <= iss_phi_reg;
    fx_sb_reg    <= {iss_first, iss_last, iss_r_reg};
    fx_valid_reg <= iss_valid_reg;
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
wire logic [D_W-1:0]    g_min;
wire logic [PIDX_W-1:0] g_pidx;
wire logic [SB_W-1:0]   g_sb;
wire logic              g_valid;

l1ot_argmin #(
    .N(P),
    .D_W(D_W),
    .IDX_W(PIDX_W),
    .LEVELS_PER_STAGE(MIN_LEVELS_PER_STAGE),
    .SB_W(SB_W)
) u_argmin (
    .clk(clk),
    .rst(rst),
    .in_data(c_d),
    .in_sb(c_sb),
    .in_valid(c_valid),
    .out_min(g_min),
    .out_idx(g_pidx),
    .out_sb(g_sb),
    .out_valid(g_valid)
);

// (first/last are used only with REUSE > 1)
/* verilator lint_off UNUSEDSIGNAL */
wire logic           g_first = g_sb[R_W + 1];
wire logic           g_last  = g_sb[R_W];
/* verilator lint_on UNUSEDSIGNAL */
wire logic [R_W-1:0] g_r     = g_sb[R_W-1:0];
wire logic           g_bank  = g_sb[R_W + 2];
wire logic [IDX_W-1:0] g_idx = IDX_W'(32'(g_r) * P + 32'(g_pidx));

wire logic [D_W-1:0]   f_min;
wire logic [IDX_W-1:0] f_idx;
wire logic             f_valid;
wire logic             f_tag;

if (REUSE > 1) begin : g_acc
    // running minimum over the REUSE groups; later groups have higher
    // indices, so they win only if strictly smaller
    logic [D_W-1:0]   acc_min_reg;
    logic [IDX_W-1:0] acc_idx_reg;
    logic             acc_valid_reg;
    logic             acc_bank_reg;

    always_ff @(posedge clk) begin
        if (g_valid && (g_first || g_min < acc_min_reg)) begin
            acc_min_reg <= g_min;
            acc_idx_reg <= g_idx;
        end
        if (g_valid && g_first) begin
            acc_bank_reg <= g_bank;
        end
        acc_valid_reg <= g_valid && g_last;
        if (rst) begin
            acc_valid_reg <= 1'b0;
        end
    end

    assign f_min   = acc_min_reg;
    assign f_idx   = acc_idx_reg;
    assign f_valid = acc_valid_reg;
    assign f_tag   = acc_bank_reg;
end else begin : g_noacc
    assign f_min   = g_min;
    assign f_idx   = g_idx;
    assign f_valid = g_valid;
    assign f_tag   = g_bank;
end

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
