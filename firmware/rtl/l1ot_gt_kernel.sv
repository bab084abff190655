// l1ot: the scoring kernel behind the Phase-2 Global Trigger's own object words
// (contract: docs/kernel.md; layout and connection: docs/firmware.md, "GT-word wrapper")
//
// in_gt carries the 19 slots' GT object words side by side, slot 0 at bit 0, each
// slot in its own width (generated package l1ot_gt_pkg, from
// model/l1ot/kernel/configs/gt_words.json; source CMSSW
// L1Trigger/Phase2L1GT/plugins/L1GTEvaluationInterface.h):
//   slot 0      MET     L1TGT_CommonSum       64 bit  valid | pT u16 | phi s13 | scalar sum pT u16
//   slots 1-4   e/gamma L1TGT_Common3Vector   64 bit  valid | pT u16 | phi s13 | eta s14 | ...
//   slots 5-8   muons   L1TGT_Common3Vector   96 bit
//   slots 9-18  jets    L1TGT_Common3Vector  128 bit
// (fields LSB first). Each slot becomes the kernel word {pt, eta, phi} (eta 0 for the
// sum word); a slot with valid = 0 is empty, the all-zero kernel word, whatever its
// other bits hold. The other fields of the words (z0, d0, quality, scalar sum, ...)
// are not read. The mapping is wiring and one AND per bit in front of the kernel's
// input register: outputs, LATENCY and II are those of l1ot_kernel_cm.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_gt_kernel #(
    // passed to l1ot_kernel_cm (same meaning and defaults)
    parameter int K = l1ot_params_pkg::K,
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
    // derived, do not override
    parameter int BUS_W = l1ot_gt_pkg::BUS_W,
    parameter int IDX_W = l1ot_params_pkg::IDX_W,
    parameter int SCORE_W = l1ot_params_pkg::SCORE_W
) (
    input  wire logic                 clk,
    input  wire logic                 rst,

    /* verilator lint_off UNUSEDSIGNAL */   // only the common part of each word is read
    input  wire logic [BUS_W-1:0]     in_gt,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic                 in_valid,

    output wire logic [SCORE_W-1:0]   out_score,
    output wire logic [IDX_W-1:0]     out_idx,
    output wire logic                 out_trig,
    output wire logic                 out_valid,
    output wire logic                 err_overrun
);

localparam int N_OBJ    = l1ot_params_pkg::N_OBJ;
localparam int WORD_W   = l1ot_params_pkg::WORD_W;
localparam int PT_BITS  = l1ot_params_pkg::PT_BITS;
localparam int ETA_BITS = l1ot_params_pkg::ETA_BITS;
localparam int PHI_BITS = l1ot_params_pkg::PHI_BITS;

// elaboration-time checks: the GT layout and the kernel package agree
if (l1ot_gt_pkg::N_OBJ != N_OBJ) begin : g_check_0
    $error("l1ot_gt_kernel: the GT layout has %0d slots, the kernel %0d", l1ot_gt_pkg::N_OBJ, N_OBJ);
end
if (l1ot_gt_pkg::PT_W != PT_BITS || l1ot_gt_pkg::ETA_W != ETA_BITS || l1ot_gt_pkg::PHI_W != PHI_BITS) begin : g_check_1
    $error("l1ot_gt_kernel: GT field widths differ from the kernel's input word");
end
if (BUS_W != l1ot_gt_pkg::BUS_W) begin : g_check_2
    $error("l1ot_gt_kernel: BUS_W=%0d is derived, the layout needs %0d", BUS_W, l1ot_gt_pkg::BUS_W);
end

// ---------------------------------------------------------------- GT words -> kernel words
wire logic [N_OBJ*WORD_W-1:0] k_words;

for (genvar s = 0; s < N_OBJ; s++) begin : g_slot
    localparam int W      = int'(l1ot_gt_pkg::SLOT_W[s*16 +: 16]);
    localparam int LO     = int'(l1ot_gt_pkg::SLOT_BUS_LO[s*16 +: 16]);
    localparam int V_LO   = int'(l1ot_gt_pkg::SLOT_VALID_LO[s*16 +: 16]);
    localparam int PT_LO  = int'(l1ot_gt_pkg::SLOT_PT_LO[s*16 +: 16]);
    localparam int PHI_LO = int'(l1ot_gt_pkg::SLOT_PHI_LO[s*16 +: 16]);
    localparam int ETA_LO = int'(l1ot_gt_pkg::SLOT_ETA_LO[s*16 +: 16]);
    localparam bit HAS_ETA = l1ot_gt_pkg::SLOT_HAS_ETA[s];

    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [W-1:0]        g = in_gt[LO +: W];
    /* verilator lint_on UNUSEDSIGNAL */
    wire logic                v = g[V_LO];
    wire logic [PT_BITS-1:0]  pt = g[PT_LO +: PT_BITS];
    wire logic [PHI_BITS-1:0] phi = g[PHI_LO +: PHI_BITS];
    wire logic [ETA_BITS-1:0] eta = HAS_ETA ? g[ETA_LO +: ETA_BITS] : '0;

    // valid = 0: the empty slot (all-zero kernel word), whatever the payload
    assign k_words[s*WORD_W +: WORD_W] = v ? {pt, eta, phi} : '0;
end

// ---------------------------------------------------------------- the kernel
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
    .SQ_LUT_MAX_W(SQ_LUT_MAX_W)
) u_kernel (
    .clk(clk),
    .rst(rst),
    .in_words(k_words),
    .in_valid(in_valid),
    .out_score(out_score),
    .out_idx(out_idx),
    .out_trig(out_trig),
    .out_valid(out_valid),
    .err_overrun(err_overrun)
);

endmodule

`resetall
