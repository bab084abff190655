// l1ot: minimum over the medoids of the REUSE kernels (l1ot_kernel, l1ot_kernel_rl)
//
// One group = the distances of P units to medoids r*P + p (p < P) of one event, with
// its group number r and first / last flags. The argmin over the P units (l1ot_argmin,
// ties to the lower p) gives the group's minimum and its medoid index r*P + p; with
// REUSE > 1 a running minimum over the groups of the event follows, registered, valid
// after the last group. Later groups have higher indices, so they win only if strictly
// smaller: the result is the first minimum over all medoids. A tag (e.g. the reference
// bank of l1ot_kernel_rl) travels with the event, taken from its first group.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_reuse_argmin #(
    // distance units (candidates per group)
    parameter int P = 4,
    // groups per event (running minimum over them when > 1)
    parameter int REUSE = 1,
    // argmin-tree levels between pipeline registers
    parameter int MIN_LEVELS_PER_STAGE = 2,
    // distance width (bits, unsigned)
    parameter int D_W = 32,
    // medoid index width (bits), enough for P*REUSE - 1
    parameter int IDX_W = 5,
    // event tag width (bits)
    parameter int TAG_W = 1,
    // derived, do not override
    parameter int R_W = (REUSE > 1) ? $clog2(REUSE) : 1,
    parameter int PIDX_W = (P > 1) ? $clog2(P) : 1
) (
    input  wire logic                 clk,
    input  wire logic                 rst,

    input  wire logic [P*D_W-1:0]     in_d,       // unit p in [p*D_W +: D_W]
    input  wire logic [R_W-1:0]       in_r,       // group number
    /* verilator lint_off UNUSEDSIGNAL */   // first / last are used only with REUSE > 1
    input  wire logic                 in_first,
    input  wire logic                 in_last,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [TAG_W-1:0]     in_tag,
    input  wire logic                 in_valid,

    output wire logic [D_W-1:0]       out_min,
    output wire logic [IDX_W-1:0]     out_idx,
    output wire logic [TAG_W-1:0]     out_tag,
    output wire logic                 out_valid
);

localparam int SB_W = TAG_W + R_W + 2;   // {tag, first, last, r}
localparam int MIN_LEVELS = (P > 1) ? $clog2(P) : 0;
/* verilator lint_off UNUSEDPARAM */   // documentation of the tops' LAT_MIN + LAT_ACC
localparam int LATENCY = (MIN_LEVELS + MIN_LEVELS_PER_STAGE - 1) / MIN_LEVELS_PER_STAGE
                         + ((REUSE > 1) ? (REUSE - 1) + 1 : 0);
/* verilator lint_on UNUSEDPARAM */

// elaboration-time parameter checks (docs/firmware.md, "Parameter checks")
// (IDX_W may be narrower than clog2(P*REUSE): padding slots r*P + p >= K repeat medoid
// K-1 and never win a tie, so the index stays below K; the tops check IDX_W against K)
if (P < 1 || REUSE < 1 || TAG_W < 1 || IDX_W < PIDX_W) begin : g_check_0
    $error("l1ot_reuse_argmin: P=%0d, REUSE=%0d, TAG_W=%0d or IDX_W=%0d out of range", P, REUSE, TAG_W, IDX_W);
    l1ot_param_check_failed u_check_failed ();
end

// ---------------------------------------------------------------- argmin over P
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
    .in_data(in_d),
    .in_sb({in_tag, in_first, in_last, in_r}),
    .in_valid(in_valid),
    .out_min(g_min),
    .out_idx(g_pidx),
    .out_sb(g_sb),
    .out_valid(g_valid)
);

/* verilator lint_off UNUSEDSIGNAL */
wire logic             g_first = g_sb[R_W + 1];
wire logic             g_last  = g_sb[R_W];
/* verilator lint_on UNUSEDSIGNAL */
wire logic [R_W-1:0]   g_r     = g_sb[R_W-1:0];
wire logic [TAG_W-1:0] g_tag   = g_sb[R_W + 2 +: TAG_W];
wire logic [IDX_W-1:0] g_idx   = IDX_W'(32'(g_r) * P + 32'(g_pidx));

// ---------------------------------------------------------------- running min over the groups
if (REUSE > 1) begin : g_acc
    logic [D_W-1:0]   acc_min_reg;
    logic [IDX_W-1:0] acc_idx_reg;
    logic [TAG_W-1:0] acc_tag_reg;
    logic             acc_valid_reg;

    always_ff @(posedge clk) begin
        if (g_valid && (g_first || g_min < acc_min_reg)) begin
            acc_min_reg <= g_min;
            acc_idx_reg <= g_idx;
        end
        if (g_valid && g_first) begin
            acc_tag_reg <= g_tag;
        end
        acc_valid_reg <= g_valid && g_last;
        if (rst) begin
            acc_valid_reg <= 1'b0;
        end
    end

    assign out_min   = acc_min_reg;
    assign out_idx   = acc_idx_reg;
    assign out_tag   = acc_tag_reg;
    assign out_valid = acc_valid_reg;
end else begin : g_noacc
    assign out_min   = g_min;
    assign out_idx   = g_idx;
    assign out_tag   = g_tag;
    assign out_valid = g_valid;
end

endmodule

`resetall
