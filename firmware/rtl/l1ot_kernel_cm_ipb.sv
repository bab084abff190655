// l1ot: l1ot_kernel_cm with an IPbus control/status port and N graded trigger bits
// (docs/firmware.md "Register bank")
//
//   in_words -> l1ot_kernel_cm -> score --+--> l1ot_regbank output stage -> out_bits[N]
//                                        \--> one register (aligned)     -> out_score, out_idx, out_trig
//   ipb_* --> decoder on ipb_addr[12]: 0 -> l1ot_regbank (map below 0x1000), 1 -> err
//             (the reloadable-reference top puts its memory slave there)
//
// out_trig is the kernel's single trigger bit (package THRESHOLD, unchanged); the graded
// bits out_bits compare the same score with the thresholds of the register bank (reset
// values from the model file: the generated l1ot_regs_pkg). Latency: the kernel's
// LATENCY + 1 (the output stage of the register bank).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_kernel_cm_ipb #(
    parameter int K = l1ot_params_pkg::K,
    parameter int N_THR = l1ot_regs_pkg::N_THR,
    // passed to l1ot_kernel_cm (same meaning and defaults)
    parameter int SORT_LAYERS_PER_STAGE = 1,
    parameter int ADD_LEVELS_PER_STAGE = 1,
    parameter int MIN_LEVELS_PER_STAGE = 1,
    parameter bit IN_REG = 1'b1,
    parameter int SCALE_REGS = 1,
    parameter bit SQ_IN_REG = 1'b1,
    parameter bit SQ_REG = 1'b1,
    parameter bit MIN_REG_LAST = 1'b1,
    parameter bit FUSED_OUT = 1'b1,
    parameter int SQ_LUT_MAX_W = 8,
    parameter bit USE_DSP = 1'b1,
    // derived, do not override
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
    output wire logic [N_THR-1:0]          out_bits,
    output wire logic                      out_valid,
    output wire logic                      err_overrun,

    // IPbus slave port (ipb_clk domain; ipbus-firmware ipb_wbus / ipb_rbus)
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

wire logic [SCORE_W-1:0] k_score;
wire logic [IDX_W-1:0]   k_idx;
wire logic               k_trig, k_valid, k_overrun;

l1ot_kernel_cm #(
    .K(K),
    .SORT_LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .ADD_LEVELS_PER_STAGE(ADD_LEVELS_PER_STAGE),
    .MIN_LEVELS_PER_STAGE(MIN_LEVELS_PER_STAGE),
    .IN_REG(IN_REG),
    .SCALE_REGS(SCALE_REGS),
    .SQ_IN_REG(SQ_IN_REG),
    .SQ_REG(SQ_REG),
    .MIN_REG_LAST(MIN_REG_LAST),
    .FUSED_OUT(FUSED_OUT),
    .SQ_LUT_MAX_W(SQ_LUT_MAX_W),
    .USE_DSP(USE_DSP)
) u_kernel (
    .clk(clk),
    .rst(rst),
    .in_words(in_words),
    .in_valid(in_valid),
    .out_score(k_score),
    .out_idx(k_idx),
    .out_trig(k_trig),
    .out_valid(k_valid),
    .err_overrun(k_overrun)
);

// ---------------------------------------------------------------- address decoder
wire logic sel_rb = !ipb_addr[12];
wire logic [31:0] rb_rdata;
wire logic rb_ack, rb_err;
logic none_err;

l1ot_regbank #(
    .N_THR(N_THR),
    .SCORE_W(SCORE_W)
) u_regbank (
    .ipb_clk(ipb_clk),
    .ipb_rst(ipb_rst),
    .ipb_addr(ipb_addr),
    .ipb_wdata(ipb_wdata),
    .ipb_strobe(ipb_strobe && sel_rb),
    .ipb_write(ipb_write),
    .ipb_rdata(rb_rdata),
    .ipb_ack(rb_ack),
    .ipb_err(rb_err),
    .clk(clk),
    .rst(rst),
    .ev_score(k_score),
    .ev_valid(k_valid),
    .ev_overrun(k_overrun),
    .out_bits(out_bits),
    .out_valid(out_valid)
);

// no slave at ipb_addr[12] = 1 on this top: one cycle of err per strobe
always_ff @(posedge ipb_clk) begin
    none_err <= ipb_strobe && !sel_rb && !none_err;
    if (ipb_rst) begin
        none_err <= 1'b0;
    end
end

assign ipb_rdata = rb_rdata;
assign ipb_ack   = rb_ack;
assign ipb_err   = rb_err | none_err;

// ---------------------------------------------------------------- outputs aligned with out_bits
logic [SCORE_W-1:0] score_reg;
logic [IDX_W-1:0]   idx_reg;
logic               trig_reg, overrun_reg;

always_ff @(posedge clk) begin
    score_reg   <= k_score;
    idx_reg     <= k_idx;
    trig_reg    <= k_trig;
    overrun_reg <= k_overrun;
    if (rst) begin
        overrun_reg <= 1'b0;
    end
end

assign out_score   = score_reg;
assign out_idx     = idx_reg;
assign out_trig    = trig_reg;
assign err_overrun = overrun_reg;

endmodule

`resetall
