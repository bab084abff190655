// l1ot: the reloadable-reference kernel with its IPbus port: register bank (graded
// trigger bits, counters) and medoid memory behind one address decoder
// (docs/firmware.md "Reloadable-reference top")
//
//   in_words -> l1ot_kernel_rl -> score --+--> l1ot_regbank output stage -> out_bits[N]
//                                        \--> one register (aligned)     -> out_score, out_idx,
//                                                                            out_trig, out_bank
//   ipb_* --> decoder on ipb_addr[12]: 0 -> l1ot_regbank (map below 0x1000)
//                                      1 -> l1ot_refmem (inside l1ot_kernel_rl; address with
//                                           bit 12 cleared, its map is 0x000-0xFFF)
//
// uhal table: <name>_rl.xml (l1ot.export.regs.top_xml with the regs and refmem slaves).
// Latency: the kernel's LATENCY + 1 (the output stage of the register bank).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_kernel_rl_ipb #(
    parameter int K = l1ot_params_pkg::K,
    parameter int REUSE = 8,
    parameter int N_THR = l1ot_regs_pkg::N_THR,
    // passed to l1ot_kernel_rl (same meaning and defaults)
    parameter int SORT_LAYERS_PER_STAGE = 1,
    parameter int ADD_LEVELS_PER_STAGE = 1,
    parameter int MIN_LEVELS_PER_STAGE = 1,
    parameter int SCALE_REGS = 1,
    parameter int SQ_LUT_MAX_W = 8,
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
    output wire logic                      out_bank,
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

// ---------------------------------------------------------------- address decoder
wire logic sel_rb = !ipb_addr[12];
wire logic [31:0] rb_rdata, rm_rdata;
wire logic rb_ack, rb_err, rm_ack, rm_err;

wire logic [SCORE_W-1:0] k_score;
wire logic [IDX_W-1:0]   k_idx;
wire logic               k_trig, k_bank, k_valid, k_overrun;

l1ot_kernel_rl #(
    .K(K),
    .REUSE(REUSE),
    .SORT_LAYERS_PER_STAGE(SORT_LAYERS_PER_STAGE),
    .ADD_LEVELS_PER_STAGE(ADD_LEVELS_PER_STAGE),
    .MIN_LEVELS_PER_STAGE(MIN_LEVELS_PER_STAGE),
    .SCALE_REGS(SCALE_REGS),
    .SQ_LUT_MAX_W(SQ_LUT_MAX_W)
) u_kernel (
    .clk(clk),
    .rst(rst),
    .in_words(in_words),
    .in_valid(in_valid),
    .out_score(k_score),
    .out_idx(k_idx),
    .out_trig(k_trig),
    .out_bank(k_bank),
    .out_valid(k_valid),
    .err_overrun(k_overrun),
    .ipb_clk(ipb_clk),
    .ipb_rst(ipb_rst),
    .ipb_addr({ipb_addr[31:13], 1'b0, ipb_addr[11:0]}),
    .ipb_wdata(ipb_wdata),
    .ipb_strobe(ipb_strobe && !sel_rb),
    .ipb_write(ipb_write),
    .ipb_rdata(rm_rdata),
    .ipb_ack(rm_ack),
    .ipb_err(rm_err)
);

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

// only the selected slave answers a strobe
assign ipb_rdata = rb_ack ? rb_rdata : rm_rdata;
assign ipb_ack   = rb_ack | rm_ack;
assign ipb_err   = rb_err | rm_err;

// ---------------------------------------------------------------- outputs aligned with out_bits
logic [SCORE_W-1:0] score_reg;
logic [IDX_W-1:0]   idx_reg;
logic               trig_reg, bank_reg, overrun_reg;

always_ff @(posedge clk) begin
    score_reg   <= k_score;
    idx_reg     <= k_idx;
    trig_reg    <= k_trig;
    bank_reg    <= k_bank;
    overrun_reg <= k_overrun;
    if (rst) begin
        overrun_reg <= 1'b0;
    end
end

assign out_score   = score_reg;
assign out_idx     = idx_reg;
assign out_trig    = trig_reg;
assign out_bank    = bank_reg;
assign err_overrun = overrun_reg;

endmodule

`resetall
