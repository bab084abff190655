// l1ot: squared Euclidean distance between two sorted 19x3 embeddings
//
// D = sum_i sum_a (x[i][a] - c[i][a])^2, exact (no truncation). Pipeline:
//   stage 1: |x - c| per coordinate (both differences, select by compare)
//   stage 2: squares -- a constant table in LUTs when the operand has at most
//            SQ_LUT_MAX_W bits, otherwise a multiplier (DSP48E2)
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

// elaboration-time parameter checks (generate-scope $error)
if (N < 1) begin : g_check_0
    $error("l1ot_sqdist: N must be >= 1");
end
if (XPT_W < 1 || XETA_W < 2 || XPHI_W < 2) begin : g_check_1
    $error("l1ot_sqdist: bad coordinate widths");
end
if (D_W < SQ_W) begin : g_check_2
    $error("l1ot_sqdist: D_W=%0d < square width %0d", D_W, SQ_W);
end

// stage 1: absolute differences
logic [N*XPT_W-1:0]  ad_pt_reg;
logic [N*XETA_W-1:0] ad_eta_reg;
logic [N*XPHI_W-1:0] ad_phi_reg;
logic [SB_W-1:0]     s1_sb_reg;
logic                s1_valid_reg;

for (genvar i = 0; i < N; i++) begin : g_absdiff
    wire logic [XPT_W-1:0] xp = x_pt[i*XPT_W +: XPT_W];
    wire logic [XPT_W-1:0] cp = c_pt[i*XPT_W +: XPT_W];
    wire logic signed [XETA_W-1:0] xe = x_eta[i*XETA_W +: XETA_W];
    wire logic signed [XETA_W-1:0] ce = c_eta[i*XETA_W +: XETA_W];
    wire logic signed [XPHI_W-1:0] xf = x_phi[i*XPHI_W +: XPHI_W];
    wire logic signed [XPHI_W-1:0] cf = c_phi[i*XPHI_W +: XPHI_W];
    // |a - b| of two W-bit numbers fits W bits unsigned
    always_ff @(posedge clk) begin
        ad_pt_reg[i*XPT_W +: XPT_W]    <= (xp >= cp) ? XPT_W'(xp - cp) : XPT_W'(cp - xp);
        ad_eta_reg[i*XETA_W +: XETA_W] <= (xe >= ce) ? XETA_W'(xe - ce) : XETA_W'(ce - xe);
        ad_phi_reg[i*XPHI_W +: XPHI_W] <= (xf >= cf) ? XPHI_W'(xf - cf) : XPHI_W'(cf - xf);
    end
end

always_ff @(posedge clk) begin
    s1_sb_reg    <= in_sb;
    s1_valid_reg <= in_valid;
    if (rst) begin
        s1_valid_reg <= 1'b0;
    end
end

// stage 2: squares (term t = 3*i + a, a = 0 pt, 1 eta, 2 phi)
logic [NT*SQ_W-1:0] sq_reg;
logic [SB_W-1:0]    s2_sb_reg;
logic               s2_valid_reg;

for (genvar t = 0; t < NT; t++) begin : g_sq
    localparam int A = t % 3;
    localparam int I = t / 3;
    localparam int W = (A == 0) ? XPT_W : ((A == 1) ? XETA_W : XPHI_W);
    wire logic [W-1:0] d;
    if (A == 0) begin : g_pt
        assign d = ad_pt_reg[I*XPT_W +: XPT_W];
    end else if (A == 1) begin : g_eta
        assign d = ad_eta_reg[I*XETA_W +: XETA_W];
    end else begin : g_phi
        assign d = ad_phi_reg[I*XPHI_W +: XPHI_W];
    end

    wire logic [2*W-1:0] sq;
    if (W <= SQ_LUT_MAX_W) begin : g_lut
        // constant table of squares, mapped to LUTs
        wire logic [(2**W)*2*W-1:0] tab;
        for (genvar v = 0; v < 2**W; v++) begin : g_tab
            assign tab[v*2*W +: 2*W] = (2*W)'(v*v);
        end
        assign sq = tab[d*2*W +: 2*W];
    end else begin : g_mul
        assign sq = d * d;
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
    .SB_W(SB_W)
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
