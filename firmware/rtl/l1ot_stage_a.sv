// l1ot: stage a of both kernel tops (l1ot_kernel, l1ot_kernel_cm)
//
// N_OBJ raw words {pt, eta, phi} -> working precision, three l1ot_scale per slot
// (x = rnd_shift(raw * M, S)), then per slot the sort key {x_pt, N_OBJ-1-slot}
// (distinct keys, ties in pT go to the lower slot) and payload {x_eta, x_phi}, and
// the unsorted working coordinates. in_valid is delayed by the LATENCY registers of
// l1ot_scale (REGS; zero-DSP build: the registers of its shift-add tree).
// Constants come from the top's package through the parameters.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_stage_a #(
    // objects per event
    parameter int N_OBJ = 19,
    // raw field widths (pT unsigned, eta/phi two's complement) and word width
    parameter int PT_BITS = 16,
    parameter int ETA_BITS = 14,
    parameter int PHI_BITS = 13,
    parameter int WORD_W = 43,
    // multipliers and rounding shifts per axis
    parameter int M_PT = 1,
    parameter int S_PT = 0,
    parameter int M_ETA = 1,
    parameter int S_ETA = 0,
    parameter int M_PHI = 1,
    parameter int S_PHI = 0,
    // working widths (pT unsigned, eta/phi two's complement)
    parameter int XPT_W = 16,
    parameter int XETA_W = 14,
    parameter int XPHI_W = 13,
    // slot-tag width of the sort key
    parameter int TAG_W = 5,
    // l1ot_scale registers: 2 (product, rounded), 1 (product), 0 (combinational)
    parameter int REGS = 2,
    // 0: constant multiplies as shift-add in LUT logic (zero-DSP build)
    parameter bit USE_DSP = 1'b1,
    // USE_DSP = 0: shift-add tree levels of every l1ot_scale (the most any axis needs;
    // the top derives it from M and S)
    parameter int LEVELS = 0
) (
    /* verilator lint_off UNUSEDSIGNAL */   // unused when REGS = 0
    input  wire logic                                clk,
    input  wire logic                                rst,
    /* verilator lint_on UNUSEDSIGNAL */

    input  wire logic [N_OBJ*WORD_W-1:0]             in_words,
    input  wire logic                                in_valid,

    output wire logic [N_OBJ*(XPT_W+TAG_W)-1:0]      out_key,
    output wire logic [N_OBJ*(XETA_W+XPHI_W)-1:0]    out_pay,
    output wire logic [N_OBJ*XPT_W-1:0]              out_pt,
    output wire logic [N_OBJ*XETA_W-1:0]             out_eta,
    output wire logic [N_OBJ*XPHI_W-1:0]             out_phi,
    output wire logic                                out_valid
);

localparam int KEY_W = XPT_W + TAG_W;
localparam int PAY_W = XETA_W + XPHI_W;

// pipeline latency in cycles (in_words -> out_*)
localparam int LATENCY = USE_DSP ? REGS : ((REGS == 0) ? 0 : ((LEVELS > 1) ? LEVELS : 1) + REGS - 1);

// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (WORD_W != PT_BITS + ETA_BITS + PHI_BITS) begin : g_check_0
    $error("l1ot_stage_a: WORD_W=%0d is not PT_BITS + ETA_BITS + PHI_BITS", WORD_W);
    l1ot_param_check_failed u_check_failed ();
end
if ((1 << TAG_W) < N_OBJ) begin : g_check_1
    $error("l1ot_stage_a: TAG_W=%0d too narrow for N_OBJ=%0d", TAG_W, N_OBJ);
    l1ot_param_check_failed u_check_failed ();
end

if (LATENCY > 0) begin : g_valid
    logic [LATENCY-1:0] valid_reg;
    always_ff @(posedge clk) begin
        valid_reg <= (LATENCY)'({valid_reg, in_valid});
        if (rst) begin
            valid_reg <= '0;
        end
    end
    assign out_valid = valid_reg[LATENCY-1];
end else begin : g_valid_comb
    assign out_valid = in_valid;
end

for (genvar s = 0; s < N_OBJ; s++) begin : g_obj
    wire logic [WORD_W-1:0] w = in_words[s*WORD_W +: WORD_W];
    wire logic [XPT_W-1:0]  xp;
    wire logic [XETA_W-1:0] xe;
    wire logic [XPHI_W-1:0] xf;

    l1ot_scale #(.IN_W(PT_BITS),  .IN_SIGNED(1'b0), .M(M_PT),  .S(S_PT),  .OUT_W(XPT_W), .REGS(REGS), .USE_DSP(USE_DSP), .LEVELS(LEVELS))
        u_pt  (.clk(clk), .in_raw(w[WORD_W-1 -: PT_BITS]), .out_x(xp));
    l1ot_scale #(.IN_W(ETA_BITS), .IN_SIGNED(1'b1), .M(M_ETA), .S(S_ETA), .OUT_W(XETA_W), .REGS(REGS), .USE_DSP(USE_DSP), .LEVELS(LEVELS))
        u_eta (.clk(clk), .in_raw(w[PHI_BITS +: ETA_BITS]), .out_x(xe));
    l1ot_scale #(.IN_W(PHI_BITS), .IN_SIGNED(1'b1), .M(M_PHI), .S(S_PHI), .OUT_W(XPHI_W), .REGS(REGS), .USE_DSP(USE_DSP), .LEVELS(LEVELS))
        u_phi (.clk(clk), .in_raw(w[0 +: PHI_BITS]), .out_x(xf));

    assign out_key[s*KEY_W +: KEY_W]    = {xp, TAG_W'(N_OBJ - 1 - s)};
    assign out_pay[s*PAY_W +: PAY_W]    = {xe, xf};
    assign out_pt[s*XPT_W +: XPT_W]     = xp;
    assign out_eta[s*XETA_W +: XETA_W]  = xe;
    assign out_phi[s*XPHI_W +: XPHI_W]  = xf;
end

endmodule

`resetall
