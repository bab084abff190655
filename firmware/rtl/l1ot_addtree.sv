// l1ot: pipelined balanced adder tree (unsigned), with a sideband bus
//
// Sums N unsigned inputs of IN_W bits. Level l has ceil(N/2^l) nodes of
// min(IN_W+l, OUT_W) bits; node j adds nodes 2j and 2j+1 of the level below
// (an odd last node passes through). A pipeline register follows every
// LEVELS_PER_STAGE levels and the last level. The sideband SB travels with
// the data (same latency); valid is reset, data are not.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_addtree #(
    // number of inputs
    parameter int N = 57,
    // input width (bits, unsigned)
    parameter int IN_W = 16,
    // output width (bits); partial sums never exceed it by construction
    parameter int OUT_W = 22,
    // adder levels between pipeline registers
    parameter int LEVELS_PER_STAGE = 2,
    // sideband width (bits), delayed with the data
    parameter int SB_W = 1,
    // the first N_NARROW inputs use only their NARROW_W low bits (upper bits
    // ignored), so the adders of the narrow subtree are narrower
    parameter int N_NARROW = 0,
    // width of the narrow inputs (bits)
    parameter int NARROW_W = 1
) (
    /* verilator lint_off UNUSEDSIGNAL */   // unused when N = 1
    input  wire logic                clk,
    input  wire logic                rst,
    /* verilator lint_on UNUSEDSIGNAL */

    /* verilator lint_off UNUSEDSIGNAL */   // upper bits of narrow inputs
    input  wire logic [N*IN_W-1:0]   in_data,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [SB_W-1:0]     in_sb,
    input  wire logic                in_valid,

    output wire logic [OUT_W-1:0]    out_sum,
    output wire logic [SB_W-1:0]     out_sb,
    output wire logic                out_valid
);

localparam int LEVELS = (N > 1) ? $clog2(N) : 0;
// pipeline latency in cycles (in -> out): a register after every
// LEVELS_PER_STAGE-th level and after the last level, ceil(LEVELS / LEVELS_PER_STAGE)
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY /*verilator public*/ = (LEVELS + LEVELS_PER_STAGE - 1) / LEVELS_PER_STAGE;
/* verilator lint_on UNUSEDPARAM */
// each level is stored as N slots of OUT_W bits (unused bits are constant 0)
localparam int LW = N*OUT_W;

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (N < 1) begin : g_check_0
    $error("l1ot_addtree: N must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end
if (OUT_W < IN_W) begin : g_check_1
    $error("l1ot_addtree: OUT_W=%0d < IN_W=%0d", OUT_W, IN_W);
    l1ot_param_check_failed u_check_failed ();
end
if (N_NARROW > 0 && (NARROW_W < 1 || NARROW_W > IN_W)) begin : g_check_narrow
    $error("l1ot_addtree: NARROW_W=%0d must be in [1, IN_W=%0d]", NARROW_W, IN_W);
    l1ot_param_check_failed u_check_failed ();
end
if (LEVELS_PER_STAGE < 1) begin : g_check_2
    $error("l1ot_addtree: LEVELS_PER_STAGE must be >= 1");
    l1ot_param_check_failed u_check_failed ();
end

// (slots above the live nodes of a level are constant and unused)
/* verilator lint_off UNUSEDSIGNAL */
wire logic [(LEVELS+1)*LW-1:0]   lvl;
/* verilator lint_on UNUSEDSIGNAL */
wire logic [(LEVELS+1)*SB_W-1:0] sb;
wire logic [LEVELS:0]            vld;

for (genvar j = 0; j < N; j++) begin : g_leaf
    if (j < N_NARROW) begin : g_narrow
        assign lvl[j*OUT_W +: OUT_W] = OUT_W'(in_data[j*IN_W +: NARROW_W]);
    end else begin : g_wide
        assign lvl[j*OUT_W +: OUT_W] = OUT_W'(in_data[j*IN_W +: IN_W]);
    end
end
assign sb[0 +: SB_W] = in_sb;
assign vld[0] = in_valid;

for (genvar l = 1; l <= LEVELS; l++) begin : g_level
    localparam int NB = (N + (1 << (l-1)) - 1) >> (l-1);  // nodes below
    localparam int NL = (N + (1 << l) - 1) >> l;          // nodes here
    localparam int WB = (IN_W + l - 1 < OUT_W) ? IN_W + l - 1 : OUT_W;  // width below
    localparam int WL = (IN_W + l < OUT_W) ? IN_W + l : OUT_W;          // width here
    localparam bit REG = ((l % LEVELS_PER_STAGE) == 0) || (l == LEVELS);

    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [LW-1:0] sum_next;
    /* verilator lint_on UNUSEDSIGNAL */

    for (genvar j = 0; j < N; j++) begin : g_node
        if (j < NL && 2*j+1 < NB) begin : g_add
            wire logic [WL-1:0] s = WL'(lvl[(l-1)*LW + (2*j)*OUT_W +: WB]) + WL'(lvl[(l-1)*LW + (2*j+1)*OUT_W +: WB]);
            assign sum_next[j*OUT_W +: OUT_W] = OUT_W'(s);
        end else if (j < NL) begin : g_pass
            assign sum_next[j*OUT_W +: OUT_W] = OUT_W'(lvl[(l-1)*LW + (2*j)*OUT_W +: WB]);
        end else begin : g_none
            assign sum_next[j*OUT_W +: OUT_W] = '0;
        end
    end

    if (REG) begin : g_reg
        logic [SB_W-1:0] sb_reg;
        logic            vld_reg;

        always_ff @(posedge clk) begin
            sb_reg  <= sb[(l-1)*SB_W +: SB_W];
            vld_reg <= vld[l-1];
            if (rst) begin
                vld_reg <= 1'b0;
            end
        end

        for (genvar j = 0; j < N; j++) begin : g_out
            if (j < NL) begin : g_used
                logic [WL-1:0] sum_reg;
                always_ff @(posedge clk) begin
                    sum_reg <= sum_next[j*OUT_W +: WL];
                end
                assign lvl[l*LW + j*OUT_W +: OUT_W] = OUT_W'(sum_reg);
            end else begin : g_unused
                assign lvl[l*LW + j*OUT_W +: OUT_W] = '0;
            end
        end
        assign sb[l*SB_W +: SB_W] = sb_reg;
        assign vld[l] = vld_reg;
    end else begin : g_comb
        assign lvl[l*LW +: LW] = sum_next;
        assign sb[l*SB_W +: SB_W] = sb[(l-1)*SB_W +: SB_W];
        assign vld[l] = vld[l-1];
    end
end

assign out_sum   = lvl[LEVELS*LW +: OUT_W];
assign out_sb    = sb[LEVELS*SB_W +: SB_W];
assign out_valid = vld[LEVELS];

endmodule

`resetall
