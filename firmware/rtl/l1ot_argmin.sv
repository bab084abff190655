// l1ot: pipelined min / argmin tree, ties to the lowest index
//
// Balanced binary tree over N unsigned values. At every node the left input
// holds the lower indices and the right input is taken only if it is strictly
// smaller, so the result is the first minimum. Level l has ceil(N/2^l) nodes;
// a pipeline register follows every LEVELS_PER_STAGE levels and the last
// level (not the last one when REG_LAST = 0; N = 1: output = input, combinational). Sideband SB travels with the
// data.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_argmin #(
    // number of inputs
    parameter int N = 32,
    // value width (bits, unsigned)
    parameter int D_W = 24,
    // index width (bits), at least max(1, clog2(N))
    parameter int IDX_W = 5,
    // compare levels between pipeline registers
    parameter int LEVELS_PER_STAGE = 2,
    // sideband width (bits), delayed with the data
    parameter int SB_W = 1,
    // register after the last level (1) or leave the output combinational (0)
    parameter bit REG_LAST = 1'b1
) (
    /* verilator lint_off UNUSEDSIGNAL */   // unused when N = 1
    input  wire logic                clk,
    input  wire logic                rst,
    /* verilator lint_on UNUSEDSIGNAL */

    input  wire logic [N*D_W-1:0]    in_data,
    input  wire logic [SB_W-1:0]     in_sb,
    input  wire logic                in_valid,

    output wire logic [D_W-1:0]      out_min,
    output wire logic [IDX_W-1:0]    out_idx,
    output wire logic [SB_W-1:0]     out_sb,
    output wire logic                out_valid
);

localparam int LEVELS = (N > 1) ? $clog2(N) : 0;
// pipeline latency in cycles (in -> out): a register after every
// LEVELS_PER_STAGE-th level and after the last level, ceil(LEVELS / LEVELS_PER_STAGE)
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY /*verilator public*/ = (LEVELS + LEVELS_PER_STAGE - 1) / LEVELS_PER_STAGE
                                              - ((!REG_LAST && LEVELS > 0) ? 1 : 0);
/* verilator lint_on UNUSEDPARAM */
localparam int EW = D_W + IDX_W;   // node: {value, index}
localparam int LW = N*EW;

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (N < 1) begin : g_check_0
    $error("l1ot_argmin: N must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end
if (N > 1 && IDX_W < $clog2(N)) begin : g_check_1
    $error("l1ot_argmin: IDX_W=%0d too narrow for N=%0d", IDX_W, N);
    l1ot_param_check_failed u_check_failed ();
end
if (IDX_W < 1) begin : g_check_2
    $error("l1ot_argmin: IDX_W must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end
if (LEVELS_PER_STAGE < 1) begin : g_check_3
    $error("l1ot_argmin: LEVELS_PER_STAGE must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end

// (slots above the live nodes of a level are constant and unused)
/* verilator lint_off UNUSEDSIGNAL */
wire logic [(LEVELS+1)*LW-1:0]   lvl;
/* verilator lint_on UNUSEDSIGNAL */
wire logic [(LEVELS+1)*SB_W-1:0] sb;
wire logic [LEVELS:0]            vld;

for (genvar j = 0; j < N; j++) begin : g_leaf
    assign lvl[j*EW +: EW] = {in_data[j*D_W +: D_W], IDX_W'(j)};
end
assign sb[0 +: SB_W] = in_sb;
assign vld[0] = in_valid;

for (genvar l = 1; l <= LEVELS; l++) begin : g_level
    localparam int NB = (N + (1 << (l-1)) - 1) >> (l-1);
    localparam int NL = (N + (1 << l) - 1) >> l;
    localparam bit REG = ((l % LEVELS_PER_STAGE) == 0) || (l == LEVELS);
    localparam bit REG_HERE = REG && (REG_LAST || l != LEVELS);

    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [LW-1:0] node_next;
    /* verilator lint_on UNUSEDSIGNAL */

    for (genvar j = 0; j < N; j++) begin : g_node
        if (j < NL && 2*j+1 < NB) begin : g_cmp
            wire logic [EW-1:0] a = lvl[(l-1)*LW + (2*j)*EW +: EW];    // lower indices
            wire logic [EW-1:0] b = lvl[(l-1)*LW + (2*j+1)*EW +: EW];
            wire logic take_b = b[EW-1 -: D_W] < a[EW-1 -: D_W];
            assign node_next[j*EW +: EW] = take_b ? b : a;
        end else if (j < NL) begin : g_pass
            assign node_next[j*EW +: EW] = lvl[(l-1)*LW + (2*j)*EW +: EW];
        end else begin : g_none
            assign node_next[j*EW +: EW] = '0;
        end
    end

    if (REG_HERE) begin : g_reg
        logic [NL*EW-1:0] node_reg;
        logic [SB_W-1:0]  sb_reg;
        logic             vld_reg;

        always_ff @(posedge clk) begin
            node_reg <= node_next[NL*EW-1:0];
            sb_reg   <= sb[(l-1)*SB_W +: SB_W];
            vld_reg  <= vld[l-1];
            if (rst) begin
                vld_reg <= 1'b0;
            end
        end

        if (NL < N) begin : g_pad
            assign lvl[l*LW + NL*EW +: (N-NL)*EW] = '0;
        end
        assign lvl[l*LW +: NL*EW] = node_reg;
        assign sb[l*SB_W +: SB_W] = sb_reg;
        assign vld[l] = vld_reg;
    end else begin : g_comb
        assign lvl[l*LW +: LW] = node_next;
        assign sb[l*SB_W +: SB_W] = sb[(l-1)*SB_W +: SB_W];
        assign vld[l] = vld[l-1];
    end
end

assign out_min   = lvl[LEVELS*LW + IDX_W +: D_W];
assign out_idx   = lvl[LEVELS*LW +: IDX_W];
assign out_sb    = sb[LEVELS*SB_W +: SB_W];
assign out_valid = vld[LEVELS];

endmodule

`resetall
