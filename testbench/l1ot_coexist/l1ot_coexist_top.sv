// Coexistence test top (docs/firmware.md, "Several configurations in one design"):
// two l1ot exports, K = 8 (name l1ot_k8) and K = 32 (name l1ot_k32), each with its own
// package, da4ml graph and renamed copies of firmware/rtl, beside the autoencoder's
// da4ml block l1ot_ae (written by l1ot.ae.firmware.write_verilog, with da4ml's library
// modules under their own names), all in one design, plus the K = 32 export's GT-word
// wrapper l1ot_k32_gt_kernel (a second K = 32 kernel behind Phase-2 GT object words,
// package l1ot_k32_gt_pkg). Ports: kernel a = K = 8, kernel b = K = 32, c = the GT-word
// wrapper of K = 32, ae = the autoencoder (widths from the generated block).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_coexist_top #(
    // autoencoder input and output widths (the generated block's ports)
    parameter int AE_IN_W = 513,
    parameter int AE_OUT_W = 23
) (
    input  wire logic                                                          clk,
    input  wire logic                                                          rst,

    input  wire logic [l1ot_k8_params_pkg::N_OBJ*l1ot_k8_params_pkg::WORD_W-1:0] a_in_words,
    input  wire logic                                                          a_in_valid,
    output wire logic [l1ot_k8_params_pkg::SCORE_W-1:0]                        a_out_score,
    output wire logic [l1ot_k8_params_pkg::IDX_W-1:0]                          a_out_idx,
    output wire logic                                                          a_out_trig,
    output wire logic                                                          a_out_valid,

    input  wire logic [l1ot_k32_params_pkg::N_OBJ*l1ot_k32_params_pkg::WORD_W-1:0] b_in_words,
    input  wire logic                                                          b_in_valid,
    output wire logic [l1ot_k32_params_pkg::SCORE_W-1:0]                       b_out_score,
    output wire logic [l1ot_k32_params_pkg::IDX_W-1:0]                         b_out_idx,
    output wire logic                                                          b_out_trig,
    output wire logic                                                          b_out_valid,

    input  wire logic [l1ot_k32_gt_pkg::BUS_W-1:0]                            c_in_gt,
    input  wire logic                                                          c_in_valid,
    output wire logic [l1ot_k32_params_pkg::SCORE_W-1:0]                       c_out_score,
    output wire logic [l1ot_k32_params_pkg::IDX_W-1:0]                         c_out_idx,
    output wire logic                                                          c_out_trig,
    output wire logic                                                          c_out_valid,

    input  wire logic [AE_IN_W-1:0]                                            ae_in,
    output wire logic [AE_OUT_W-1:0]                                           ae_out
);

/* verilator lint_off UNUSEDSIGNAL */
wire logic a_err_overrun, b_err_overrun, c_err_overrun;   // always low in l1ot_kernel_cm
/* verilator lint_on UNUSEDSIGNAL */

l1ot_k8_kernel_cm u_k8 (
    .clk(clk),
    .rst(rst),
    .in_words(a_in_words),
    .in_valid(a_in_valid),
    .out_score(a_out_score),
    .out_idx(a_out_idx),
    .out_trig(a_out_trig),
    .out_valid(a_out_valid),
    .err_overrun(a_err_overrun)
);

l1ot_k32_kernel_cm u_k32 (
    .clk(clk),
    .rst(rst),
    .in_words(b_in_words),
    .in_valid(b_in_valid),
    .out_score(b_out_score),
    .out_idx(b_out_idx),
    .out_trig(b_out_trig),
    .out_valid(b_out_valid),
    .err_overrun(b_err_overrun)
);

l1ot_k32_gt_kernel u_k32_gt (
    .clk(clk),
    .rst(rst),
    .in_gt(c_in_gt),
    .in_valid(c_in_valid),
    .out_score(c_out_score),
    .out_idx(c_out_idx),
    .out_trig(c_out_trig),
    .out_valid(c_out_valid),
    .err_overrun(c_err_overrun)
);

l1ot_ae u_ae (
    .clk(clk),
    .model_inp(ae_in),
    .model_out(ae_out)
);

endmodule

`resetall
