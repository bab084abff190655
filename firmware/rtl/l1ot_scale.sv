// l1ot: stage a, raw input field -> working precision
//
// x = rnd_shift(raw * M, S) = (raw * M + 2^(S-1)) >>> S   (S > 0), raw * M (S = 0)
// (ap_fixed AP_RND, round half towards +inf). M and S come from the generated
// package; OUT_W is derived there from the extreme raw values, so the result
// always fits. REGS pipeline registers (default 2: product, rounded result;
// 1: product only, the rounding adder feeds the next stage; 0: combinational).
//
// USE_DSP = 0 (zero-DSP build): raw * M + 2^(S-1) as a balanced adder tree of the
// terms raw << b (set bits b of M) and the rounding constant, a register after every
// level (REGS >= 1), padded to LEVELS levels so that the instances of one stage a
// agree; the rounding constant is folded into the lowest term by wiring when that
// term fits below bit S-1 (x + 2^k = x with bit k inverted, for x in [-2^k, 2^k)),
// so the result after the last register is only shifted. Latency: 0 (REGS = 0) or
// max(LEVELS, 1) + REGS - 1.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module l1ot_scale #(
    // raw field width (bits)
    parameter int IN_W = 14,
    // raw field is two's complement (1) or unsigned (0)
    parameter bit IN_SIGNED = 1'b1,
    // constant multiplier M_a (>= 1)
    parameter int M = 1,
    // rounding right shift S_a (>= 0)
    parameter int S = 0,
    // working width (bits), same signedness as the input
    parameter int OUT_W = 14,
    // pipeline registers: 2 (product and result), 1 (product), 0 (none)
    parameter int REGS = 2,
    // 1: the product may map to a multiplier (DSP); 0: shift-add of the set bits of M
    // in LUT logic (zero-DSP build)
    parameter bit USE_DSP = 1'b1,
    // USE_DSP = 0: adder-tree levels of the shift-add, each followed by a register when
    // REGS >= 1 (at least the levels this M and S need, see below; more pad with registers)
    parameter int LEVELS = 0
) (
    /* verilator lint_off UNUSEDSIGNAL */   // unused when REGS = 0
    input  wire logic              clk,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [IN_W-1:0]   in_raw,
    output wire logic [OUT_W-1:0]  out_x
);

// pipeline latency in cycles (in_raw -> out_x): product and rounded registers
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY = USE_DSP ? REGS : ((REGS == 0) ? 0 : ((LEVELS > 1) ? LEVELS : 1) + REGS - 1);
/* verilator lint_on UNUSEDPARAM */

localparam int MW = $clog2(M + 1) + 1;       // M as a signed constant
localparam int PW = IN_W + MW + 1;           // product (+1 for the rounding add)

// zero-DSP terms: set bits of M, and the rounding constant unless it folds into the
// lowest term (raw << B0 has IN_W + 1 + B0 bits signed: it folds when S - 1 >= IN_W + B0)
function automatic integer popcnt(input longint v);
    integer n;
    n = 0;
    for (integer i = 0; i < 62; i = i + 1) begin
        n = n + integer'((v >> i) & 64'd1);
    end
    popcnt = n;
endfunction
function automatic integer low_bit(input longint v);
    integer b;
    b = -1;
    for (integer i = 61; i >= 0; i = i - 1) begin
        if (((v >> i) & 64'd1) != 0) begin
            b = i;
        end
    end
    low_bit = (b < 0) ? 0 : b;
endfunction
localparam int  B0       = low_bit(longint'(M));
localparam bit  FOLD     = (S > 1) && (S <= PW) && (S - 1 >= IN_W + B0);
localparam int  N_TERMS  = popcnt(longint'(M)) + ((S > 0 && !FOLD) ? 1 : 0);
localparam int  OWN_LV   = (N_TERMS > 1) ? $clog2(N_TERMS) : 0;


// elaboration-time parameter checks: generate-scope $error, and an instance of the
// module l1ot_param_check_failed, which exists nowhere (docs/firmware.md, "Parameter checks")
if (M < 1) begin : g_check_0
    $error("l1ot_scale: M must be >= 1 (M=%0d)", M);
    l1ot_param_check_failed u_check_failed ();
end
if (S < 0 || S > 40) begin : g_check_1
    $error("l1ot_scale: S out of range (S=%0d)", S);
    l1ot_param_check_failed u_check_failed ();
end
if (OUT_W < 1 || OUT_W > PW) begin : g_check_2
    $error("l1ot_scale: bad OUT_W=%0d", OUT_W);
    l1ot_param_check_failed u_check_failed ();
end
if (REGS < 0 || REGS > 2) begin : g_check_3
    $error("l1ot_scale: REGS=%0d must be 0, 1 or 2", REGS);
    l1ot_param_check_failed u_check_failed ();
end
if (!USE_DSP && LEVELS < OWN_LV) begin : g_check_4
    $error("l1ot_scale: LEVELS=%0d but the shift-add of M=%0d, S=%0d needs %0d levels", LEVELS, M, S, OWN_LV);
    l1ot_param_check_failed u_check_failed ();
end

wire logic signed [IN_W:0]  raw_ext = IN_SIGNED ? $signed({in_raw[IN_W-1], in_raw}) : $signed({1'b0, in_raw});
wire logic signed [MW-1:0]  m_const = MW'(M);

if (USE_DSP) begin : g_dsp
    // assignment context: operands sign-extended to PW bits before the multiply
    wire logic signed [PW-1:0] prod = raw_ext * m_const;

    logic signed [PW-1:0] prod_reg;
    logic [OUT_W-1:0]     x_reg;

    localparam logic [PW-1:0] HALF = (S > 0) ? (PW'(1) << (S > 0 ? S-1 : 0)) : '0;
    wire logic signed [PW-1:0] rounded = prod_reg + $signed(HALF);
    // upper bits are sign copies once OUT_W is exact
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic signed [PW-1:0] shifted = rounded >>> S;
    /* verilator lint_on UNUSEDSIGNAL */

    if (REGS >= 1) begin : g_prod_reg
        always_ff @(posedge clk) begin
            prod_reg <= prod;
        end
    end else begin : g_prod_comb
        assign prod_reg = prod;
    end
    if (REGS >= 2) begin : g_x_reg
        always_ff @(posedge clk) begin
            x_reg    <= shifted[OUT_W-1:0];
        end
    end else begin : g_x_comb
        assign x_reg = shifted[OUT_W-1:0];
    end
    assign out_x = x_reg;
end else begin : g_shift_add
    // raw * M + 2^(S-1) as a balanced tree of N_TERMS terms (no multiplier), LV levels
    localparam int LV = (REGS >= 1 && LEVELS < 1) ? 1 : LEVELS;
    localparam int LW = N_TERMS*PW;
    localparam logic [PW-1:0] HALF = (S > 0) ? (PW'(1) << (S > 0 ? S-1 : 0)) : '0;
    wire logic [PW-1:0] raw_pw = PW'(raw_ext);
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [(LV+1)*LW-1:0] lv;
    /* verilator lint_on UNUSEDSIGNAL */
    for (genvar b = 0; b < MW - 1; b++) begin : g_term
        if (((M >> b) & 1) != 0) begin : g_set
            localparam int J = popcnt(longint'(M) & ((64'd1 << b) - 64'd1));
            if (FOLD && b == B0) begin : g_fold
                // (raw << b) + 2^(S-1): the S-bit two's complement with its top bit inverted
                /* verilator lint_off WIDTHTRUNC */
                wire logic [S-1:0] xs = S'(raw_pw << b);
                /* verilator lint_on WIDTHTRUNC */
                assign lv[J*PW +: PW] = PW'({~xs[S-1], xs[S-2:0]});
            end else begin : g_plain
                assign lv[J*PW +: PW] = raw_pw << b;
            end
        end
    end
    if (S > 0 && !FOLD) begin : g_half
        assign lv[(N_TERMS-1)*PW +: PW] = HALF;
    end
    for (genvar l = 1; l <= LV; l++) begin : g_level
        localparam int NB = (N_TERMS + (1 << (l-1)) - 1) >> (l-1);   // nodes below
        localparam int NL = (N_TERMS + (1 << l) - 1) >> l;           // nodes here
        wire logic [LW-1:0] nxt;
        for (genvar j = 0; j < N_TERMS; j++) begin : g_node
            if (j < NL && 2*j+1 < NB) begin : g_add
                assign nxt[j*PW +: PW] = lv[(l-1)*LW + 2*j*PW +: PW] + lv[(l-1)*LW + (2*j+1)*PW +: PW];
            end else if (j < NL) begin : g_pass
                assign nxt[j*PW +: PW] = lv[(l-1)*LW + 2*j*PW +: PW];
            end else begin : g_none
                assign nxt[j*PW +: PW] = '0;
            end
        end
        if (REGS >= 1) begin : g_reg
            logic [LW-1:0] nxt_reg;
            always_ff @(posedge clk) begin
                nxt_reg <= nxt;
            end
            assign lv[l*LW +: LW] = nxt_reg;
        end else begin : g_comb
            assign lv[l*LW +: LW] = nxt;
        end
    end
    wire logic signed [PW-1:0] sum = $signed(lv[LV*LW +: PW]);
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic signed [PW-1:0] shifted = sum >>> S;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [OUT_W-1:0] x_reg;
    if (REGS >= 2) begin : g_x_reg
        always_ff @(posedge clk) begin
            x_reg <= shifted[OUT_W-1:0];
        end
    end else begin : g_x_comb
        assign x_reg = shifted[OUT_W-1:0];
    end
    assign out_x = x_reg;
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic signed [MW-1:0] m_unused = m_const;
    /* verilator lint_on UNUSEDSIGNAL */
end


endmodule

`resetall
