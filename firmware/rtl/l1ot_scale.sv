// l1ot: stage a, raw input field -> working precision
//
// x = rnd_shift(raw * M, S) = (raw * M + 2^(S-1)) >>> S   (S > 0), raw * M (S = 0)
// (ap_fixed AP_RND, round half towards +inf). M and S come from the generated
// package; OUT_W is derived there from the extreme raw values, so the result
// always fits. REGS pipeline registers (default 2: product, rounded result;
// 1: product only, the rounding adder feeds the next stage; 0: combinational).

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
    parameter bit USE_DSP = 1'b1
) (
    /* verilator lint_off UNUSEDSIGNAL */   // unused when REGS = 0
    input  wire logic              clk,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [IN_W-1:0]   in_raw,
    output wire logic [OUT_W-1:0]  out_x
);

// pipeline latency in cycles (in_raw -> out_x): product and rounded registers
/* verilator lint_off UNUSEDPARAM */   // read by the testbench, not by the logic
localparam int LATENCY = REGS;
/* verilator lint_on UNUSEDPARAM */

localparam int MW = $clog2(M + 1) + 1;       // M as a signed constant
localparam int PW = IN_W + MW + 1;           // product (+1 for the rounding add)

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

wire logic signed [IN_W:0]  raw_ext = IN_SIGNED ? $signed({in_raw[IN_W-1], in_raw}) : $signed({1'b0, in_raw});
wire logic signed [MW-1:0]  m_const = MW'(M);

wire logic signed [PW-1:0] prod;
if (USE_DSP) begin : g_mul
    // assignment context: operands sign-extended to PW bits before the multiply
    assign prod = raw_ext * m_const;
end else begin : g_shift_add
    // raw * M as the sum of raw << b over the set bits b of M (no multiplier)
    wire logic signed [PW-1:0] raw_pw = PW'(raw_ext);
    logic signed [PW-1:0] acc;
    always_comb begin
        acc = '0;
        for (int b = 0; b < MW - 1; b++) begin
            if (((M >> b) & 1) != 0) begin
                acc = acc + (raw_pw <<< b);
            end
        end
    end
    assign prod = acc;
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic signed [MW-1:0] m_unused = m_const;
    /* verilator lint_on UNUSEDSIGNAL */
end

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

endmodule

`resetall
