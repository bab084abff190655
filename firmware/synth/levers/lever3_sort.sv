// lever 3 measurement: full-payload sort vs {pT, tag} sort + 19:1 angle mux
module lever3_full (
    input wire logic clk, input wire logic rst,
    input wire logic [19*19-1:0] in_key, input wire logic [19*11-1:0] in_pay, input wire logic in_valid,
    output wire logic [19*19-1:0] out_key, output wire logic [19*11-1:0] out_pay, output wire logic out_valid);
    l1ot_sortnet #(.N(19), .KEY_W(19), .PAY_W(11), .N_LAYERS(l1ot_params_pkg::SORT_N_LAYERS),
        .PW(l1ot_params_pkg::SORT_PW), .PARTNER(l1ot_params_pkg::SORT_PARTNER), .LAYERS_PER_STAGE(1), .REG_OUT(1'b1))
        u (.clk(clk), .rst(rst), .in_key(in_key), .in_pay(in_pay), .in_valid(in_valid),
           .out_key(out_key), .out_pay(out_pay), .out_valid(out_valid));
endmodule
module lever3_narrow (
    input wire logic clk, input wire logic rst,
    input wire logic [19*19-1:0] in_key, input wire logic [19*11-1:0] in_pay, input wire logic in_valid,
    output wire logic [19*19-1:0] out_key, output logic [19*11-1:0] out_pay, output wire logic out_valid);
    localparam int L = l1ot_params_pkg::SORT_N_LAYERS;
    wire logic [19*19-1:0] k;
    wire logic v;
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic [0:0] np;
    /* verilator lint_on UNUSEDSIGNAL */
    l1ot_sortnet #(.N(19), .KEY_W(19), .PAY_W(1), .N_LAYERS(L),
        .PW(l1ot_params_pkg::SORT_PW), .PARTNER(l1ot_params_pkg::SORT_PARTNER), .LAYERS_PER_STAGE(1), .REG_OUT(1'b1))
        u (.clk(clk), .rst(rst), .in_key(in_key), .in_pay('0), .in_valid(in_valid),
           .out_key(k), .out_pay(np), .out_valid(v));
    // angles wait for the sort (L registers), then a 19:1 mux per output selected by the tag
    logic [19*11-1:0] dly [L];
    always_ff @(posedge clk) begin
        dly[0] <= in_pay;
        for (int i = 1; i < L; i++) dly[i] <= dly[i-1];
    end
    logic [19*19-1:0] k_reg; logic v_reg;
    always_ff @(posedge clk) begin
        k_reg <= k; v_reg <= v;
        for (int o = 0; o < 19; o++) out_pay[o*11 +: 11] <= dly[L-1][(18 - 32'(k[o*19 +: 5]))*11 +: 11];
    end
    assign out_key = k_reg;
    assign out_valid = v_reg;
endmodule
