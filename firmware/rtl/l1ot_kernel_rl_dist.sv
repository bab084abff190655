// l1ot: squared Euclidean distance for the reloadable-reference kernel
//
// D = sum_i sum_a (x[i][a] - c[i][a])^2, exact, with c a run-time medoid (no
// constant folding). As l1ot_sqdist, but every difference is the plain signed
// x - c (one carry chain, no |.| select), so the first stage is one adder deep:
//   stage 1: d = x - c (W+1 bits, two's complement)
//   stage 2: d^2: a multiplier (DSP48E2) for W > SQ_LUT_MAX_W, else a constant
//            table of 2^(W+1) entries indexed by d (LUTs)
//   stage 3+: l1ot_addtree (narrow angle terms first), register every
//            ADD_LEVELS_PER_STAGE levels

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_kernel_rl_dist #(
    parameter int N = 19,
    parameter int XPT_W = 13,
    parameter int XETA_W = 7,
    parameter int XPHI_W = 7,
    parameter int D_W = 32,
    parameter int SQ_LUT_MAX_W = 8,
    parameter int ADD_LEVELS_PER_STAGE = 1,
    parameter int SB_W = 1
) (
    input  wire logic                  clk,
    input  wire logic                  rst,

    input  wire logic [N*XPT_W-1:0]    x_pt,
    input  wire logic [N*XETA_W-1:0]   x_eta,
    input  wire logic [N*XPHI_W-1:0]   x_phi,
    input  wire logic [N*XPT_W-1:0]    c_pt,
    input  wire logic [N*XETA_W-1:0]   c_eta,
    input  wire logic [N*XPHI_W-1:0]   c_phi,
    input  wire logic [SB_W-1:0]       in_sb,
    input  wire logic                  in_valid,

    output wire logic [D_W-1:0]        out_d,
    output wire logic [SB_W-1:0]       out_sb,
    output wire logic                  out_valid
);

localparam int NT = 3*N;
localparam int TREE_LEVELS = (NT > 1) ? $clog2(NT) : 0;
/* verilator lint_off UNUSEDPARAM */   // documentation of the top's LAT_DIST
localparam int LATENCY = 2 + (TREE_LEVELS + ADD_LEVELS_PER_STAGE - 1) / ADD_LEVELS_PER_STAGE;
/* verilator lint_on UNUSEDPARAM */
localparam int W_MAX = (XPT_W > XETA_W) ? ((XPT_W > XPHI_W) ? XPT_W : XPHI_W) : ((XETA_W > XPHI_W) ? XETA_W : XPHI_W);
localparam int SQ_W = 2*W_MAX;
localparam int AW_MAX = (XETA_W > XPHI_W) ? XETA_W : XPHI_W;

if (D_W < 2*W_MAX) begin : g_check_0
    $error("l1ot_kernel_rl_dist: D_W=%0d too narrow", D_W);
    l1ot_param_check_failed u_check_failed ();
end

// stage 1: signed differences, W+1 bits each
logic [N*(XPT_W+1)-1:0]  d_pt_reg;
logic [N*(XETA_W+1)-1:0] d_eta_reg;
logic [N*(XPHI_W+1)-1:0] d_phi_reg;
logic [SB_W-1:0]         s1_sb_reg;
logic                    s1_valid_reg;

for (genvar i = 0; i < N; i++) begin : g_diff
    wire logic [XPT_W:0]  xp = {1'b0, x_pt[i*XPT_W +: XPT_W]};
    wire logic [XPT_W:0]  cp = {1'b0, c_pt[i*XPT_W +: XPT_W]};
    wire logic [XETA_W:0] xe = {x_eta[i*XETA_W + XETA_W - 1], x_eta[i*XETA_W +: XETA_W]};
    wire logic [XETA_W:0] ce = {c_eta[i*XETA_W + XETA_W - 1], c_eta[i*XETA_W +: XETA_W]};
    wire logic [XPHI_W:0] xf = {x_phi[i*XPHI_W + XPHI_W - 1], x_phi[i*XPHI_W +: XPHI_W]};
    wire logic [XPHI_W:0] cf = {c_phi[i*XPHI_W + XPHI_W - 1], c_phi[i*XPHI_W +: XPHI_W]};
    always_ff @(posedge clk) begin
        d_pt_reg[i*(XPT_W+1) +: XPT_W+1]    <= xp - cp;
        d_eta_reg[i*(XETA_W+1) +: XETA_W+1] <= xe - ce;
        d_phi_reg[i*(XPHI_W+1) +: XPHI_W+1] <= xf - cf;
    end
end

always_ff @(posedge clk) begin
    s1_sb_reg    <= in_sb;
    s1_valid_reg <= in_valid;
    if (rst) begin
        s1_valid_reg <= 1'b0;
    end
end

// stage 2: squares; leaf t: t < 2N angle terms (eta of object t/2 for even t,
// phi for odd t), then N pT terms
logic [NT*SQ_W-1:0] sq_reg;
logic [SB_W-1:0]    s2_sb_reg;
logic               s2_valid_reg;

for (genvar t = 0; t < NT; t++) begin : g_sq
    localparam int A = (t >= 2*N) ? 0 : ((t % 2 == 0) ? 1 : 2);   // 0 pt, 1 eta, 2 phi
    localparam int I = (t >= 2*N) ? t - 2*N : t / 2;
    localparam int W = (A == 0) ? XPT_W : ((A == 1) ? XETA_W : XPHI_W);
    localparam int DW = W + 1;
    wire logic [DW-1:0] d;
    if (A == 0) begin : g_pt
        assign d = d_pt_reg[I*(XPT_W+1) +: XPT_W+1];
    end else if (A == 1) begin : g_eta
        assign d = d_eta_reg[I*(XETA_W+1) +: XETA_W+1];
    end else begin : g_phi
        assign d = d_phi_reg[I*(XPHI_W+1) +: XPHI_W+1];
    end

    // |d| <= 2^W - 1 (pT: unsigned W bits; angles: difference of two W-bit signed values
    // is in [-(2^W - 1), 2^W - 1]), so d^2 < 2^(2W)
    wire logic [2*W-1:0] sq;
    if (W > SQ_LUT_MAX_W) begin : g_mul
        wire logic signed [DW-1:0]   ds = $signed(d);
        /* verilator lint_off UNUSEDSIGNAL */
        wire logic signed [2*DW-1:0] p = ds * ds;
        /* verilator lint_on UNUSEDSIGNAL */
        assign sq = p[2*W-1:0];
    end else begin : g_lut
        // constant table over the 2^DW two's-complement values of d
        wire logic [(2**DW)*2*W-1:0] tab;
        for (genvar v = 0; v < 2**DW; v++) begin : g_tab
            localparam int SV = (v >= 2**W) ? v - 2**DW : v;
            localparam int SQV = (SV * SV >= 2**(2*W)) ? 0 : SV * SV;   // only -(2^W) overflows; never occurs
            assign tab[v*2*W +: 2*W] = (2*W)'(SQV);
        end
        assign sq = tab[d*2*W +: 2*W];
    end

    always_ff @(posedge clk) begin
        sq_reg[t*SQ_W +: SQ_W] <= SQ_W'(sq);
    end
end

always_ff @(posedge clk) begin
    s2_sb_reg    <= s1_sb_reg;
    s2_valid_reg <= s1_valid_reg;
    if (rst) begin
        s2_valid_reg <= 1'b0;
    end
end

l1ot_addtree #(
    .N(NT),
    .IN_W(SQ_W),
    .OUT_W(D_W),
    .LEVELS_PER_STAGE(ADD_LEVELS_PER_STAGE),
    .SB_W(SB_W),
    .N_NARROW(2*N),
    .NARROW_W(2*AW_MAX)
) u_tree (
    .clk(clk),
    .rst(rst),
    .in_data(sq_reg),
    .in_sb(s2_sb_reg),
    .in_valid(s2_valid_reg),
    .out_sum(out_d),
    .out_sb(out_sb),
    .out_valid(out_valid)
);

endmodule

`resetall
