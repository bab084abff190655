// l1ot: squared Euclidean distance between two sorted 19x3 embeddings
//
// D = sum_i sum_a (x[i][a] - c[i][a])^2, exact (no truncation). Pipeline:
//   stage 1: differences: x - c (signed) for coordinates squared by a
//            multiplier (DSP48E2, more than SQ_LUT_MAX_W bits), |x - c| for
//            coordinates squared by a constant table in LUTs (at most
//            SQ_LUT_MAX_W bits)
//   stage 2: squares
//   adder-tree leaves: the narrow angle terms first, then the pT terms, so
//   the first levels add narrow numbers
//   stage 3+: balanced adder tree (l1ot_addtree), register every
//            ADD_LEVELS_PER_STAGE levels
// pT coordinates are unsigned, eta/phi signed (two's complement).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_sqdist #(
    // objects per embedding
    parameter int N = 19,
    // working pT width (unsigned)
    parameter int XPT_W = 13,
    // working eta width (signed)
    parameter int XETA_W = 7,
    // working phi width (signed)
    parameter int XPHI_W = 7,
    // distance width (bits); must hold the largest possible sum
    parameter int D_W = 32,
    // operands up to this width are squared by a LUT table, wider ones by a multiplier
    parameter int SQ_LUT_MAX_W = 8,
    // adder-tree levels between pipeline registers
    parameter int ADD_LEVELS_PER_STAGE = 2,
    // sideband width (bits), delayed with the data
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

localparam int W_MAX = (XPT_W > XETA_W) ? ((XPT_W > XPHI_W) ? XPT_W : XPHI_W) : ((XETA_W > XPHI_W) ? XETA_W : XPHI_W);
localparam int SQ_W = 2*W_MAX;
localparam int NT = 3*N;
// pipeline latency in cycles (in -> out): difference and square registers,
// then the adder tree over NT leaves (l1ot_addtree LATENCY)
localparam int TREE_LEVELS = (NT > 1) ? $clog2(NT) : 0;
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY = 2 + (TREE_LEVELS + ADD_LEVELS_PER_STAGE - 1) / ADD_LEVELS_PER_STAGE;
/* verilator lint_on UNUSEDPARAM */

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (N < 1) begin : g_check_0
    $error("l1ot_sqdist: N must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end
if (XPT_W < 1 || XETA_W < 2 || XPHI_W < 2) begin : g_check_1
    $error("l1ot_sqdist: bad coordinate widths");
    l1ot_param_check_failed u_check_failed ();
end
if (D_W < SQ_W) begin : g_check_2
    $error("l1ot_sqdist: D_W=%0d < square width %0d", D_W, SQ_W);
    l1ot_param_check_failed u_check_failed ();
end

// stage 1: differences (signed x - c for a multiplier, |x - c| for a table)
localparam bit PT_MUL  = XPT_W > SQ_LUT_MAX_W;
localparam bit ETA_MUL = XETA_W > SQ_LUT_MAX_W;
localparam bit PHI_MUL = XPHI_W > SQ_LUT_MAX_W;
localparam int DPT_W  = PT_MUL  ? XPT_W + 1  : XPT_W;
localparam int DETA_W = ETA_MUL ? XETA_W + 1 : XETA_W;
localparam int DPHI_W = PHI_MUL ? XPHI_W + 1 : XPHI_W;

logic [N*DPT_W-1:0]  ad_pt_reg;
logic [N*DETA_W-1:0] ad_eta_reg;
logic [N*DPHI_W-1:0] ad_phi_reg;
logic [SB_W-1:0]     s1_sb_reg;
logic                s1_valid_reg;

for (genvar i = 0; i < N; i++) begin : g_absdiff
    wire logic signed [XPT_W:0]  xp = $signed({1'b0, x_pt[i*XPT_W +: XPT_W]});
    wire logic signed [XPT_W:0]  cp = $signed({1'b0, c_pt[i*XPT_W +: XPT_W]});
    wire logic signed [XETA_W-1:0] xe = x_eta[i*XETA_W +: XETA_W];
    wire logic signed [XETA_W-1:0] ce = c_eta[i*XETA_W +: XETA_W];
    wire logic signed [XPHI_W-1:0] xf = x_phi[i*XPHI_W +: XPHI_W];
    wire logic signed [XPHI_W-1:0] cf = c_phi[i*XPHI_W +: XPHI_W];
    // |a - b| of two W-bit numbers fits W bits unsigned; a - b fits W+1 bits signed
    always_ff @(posedge clk) begin
        ad_pt_reg[i*DPT_W +: DPT_W]    <= PT_MUL  ? DPT_W'(xp - cp)  : ((xp >= cp) ? DPT_W'(xp - cp) : DPT_W'(cp - xp));
        ad_eta_reg[i*DETA_W +: DETA_W] <= ETA_MUL ? DETA_W'({xe[XETA_W-1], xe} - {ce[XETA_W-1], ce})
                                                  : ((xe >= ce) ? DETA_W'(xe - ce) : DETA_W'(ce - xe));
        ad_phi_reg[i*DPHI_W +: DPHI_W] <= PHI_MUL ? DPHI_W'({xf[XPHI_W-1], xf} - {cf[XPHI_W-1], cf})
                                                  : ((xf >= cf) ? DPHI_W'(xf - cf) : DPHI_W'(cf - xf));
    end
end

always_ff @(posedge clk) begin
    s1_sb_reg    <= in_sb;
    s1_valid_reg <= in_valid;
    if (rst) begin
        s1_valid_reg <= 1'b0;
    end
end

// stage 2: squares. Leaf t of the adder tree: t < 2N angle terms (eta of
// object t/2 for even t, phi for odd t), then N pT terms.
logic [NT*SQ_W-1:0] sq_reg;
logic [SB_W-1:0]    s2_sb_reg;
logic               s2_valid_reg;

for (genvar t = 0; t < NT; t++) begin : g_sq
    localparam int A = (t >= 2*N) ? 0 : ((t % 2 == 0) ? 1 : 2);   // 0 pt, 1 eta, 2 phi
    localparam int I = (t >= 2*N) ? t - 2*N : t / 2;
    localparam int W = (A == 0) ? XPT_W : ((A == 1) ? XETA_W : XPHI_W);
    localparam bit MUL = W > SQ_LUT_MAX_W;
    localparam int DW = MUL ? W + 1 : W;
    wire logic [DW-1:0] d;
    if (A == 0) begin : g_pt
        assign d = ad_pt_reg[I*DPT_W +: DPT_W];
    end else if (A == 1) begin : g_eta
        assign d = ad_eta_reg[I*DETA_W +: DETA_W];
    end else begin : g_phi
        assign d = ad_phi_reg[I*DPHI_W +: DPHI_W];
    end

    wire logic [2*W-1:0] sq;
    if (!MUL) begin : g_lut
        // constant table of squares, mapped to LUTs
        wire logic [(2**W)*2*W-1:0] tab;
        for (genvar v = 0; v < 2**W; v++) begin : g_tab
            assign tab[v*2*W +: 2*W] = (2*W)'(v*v);
        end
        assign sq = tab[d*2*W +: 2*W];
    end else begin : g_mul
        // signed square (DSP48E2); (2^W - 1)^2 < 2^(2W), so 2W bits hold it
        wire logic signed [DW-1:0]   ds = $signed(d);
        /* verilator lint_off UNUSEDSIGNAL */
        wire logic signed [2*DW-1:0] p = ds * ds;
        /* verilator lint_on UNUSEDSIGNAL */
        assign sq = p[2*W-1:0];
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

// stage 3+: adder tree
l1ot_addtree #(
    .N(NT),
    .IN_W(SQ_W),
    .OUT_W(D_W),
    .LEVELS_PER_STAGE(ADD_LEVELS_PER_STAGE),
    .SB_W(SB_W),
    .N_NARROW(2*N),
    .NARROW_W(2*((XETA_W > XPHI_W) ? XETA_W : XPHI_W))
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
